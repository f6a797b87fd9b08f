"""The pod-side runtime: claim → download → analyse → upload → complete, heartbeat, self-termination.

Apart from the analysis pipeline (the rest of ``processor``), which imports nothing from ``drive``,
``pod_launcher`` or ``watcher``; this package is where the pipeline meets the storage and the launcher.
"""
