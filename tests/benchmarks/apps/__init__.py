"""streamkit app files for the benchmark workloads (run by ``streamkit_apps``)."""
