"""The ``eigen`` command line (click + rich), a thin client of :mod:`eigen_os.client`."""
