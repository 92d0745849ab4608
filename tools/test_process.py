"""What the test servers started by the Swift tests share (tools/moto_server.py,
tools/http_test_server.py)."""
import os
import signal
import threading
import time


def detach_from_test_process():
    """Unblocks signals (a Swift test process starts its children with SIGTERM blocked), and
    exits as soon as the process that started this one is gone, however it ended, so a test run
    never leaves a server behind."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
