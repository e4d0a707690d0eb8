"""Driver plugins shipped with the driver-manager: each ``*_driver.py`` file is loaded by path."""
