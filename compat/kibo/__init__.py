"""The Kibo OMS (Shopatron) dialect."""
