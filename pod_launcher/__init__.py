"""Starting, listing and terminating workers: RunPod pods and local processes behind one interface."""
