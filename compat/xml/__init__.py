"""The XML commerce API dialect (Customer, UserCustomerGroups, UserGroups)."""
