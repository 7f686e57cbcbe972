"""Background jobs: admin imports, exports and mass invitations run on the task engine."""
