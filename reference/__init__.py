"""Reference implementations of the protocols in specs/, used to close the loop between a
spec and real code (trace validation, generated tests).

Each implementation is written once as sans-IO state machines and driven by two runtimes:
a real one (processes, TCP on 127.0.0.1, log files) and a deterministic in-process
scheduler. Nothing here imports modelcheck.
"""
