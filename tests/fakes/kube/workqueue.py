"""The work loop the fake's controllers share (Job controller, training operator, JobSet controller):
(namespace, name) keys are enqueued now or after a delay, de-duplicated, and reconciled one at a time
by sync(ns, name) on the controller's own thread; an optional periodic tick adds keys (a safety net
for deadlines and TTLs). Thread-safe: enqueue() may be called from any thread (Store listeners).
"""

import heapq
import itertools
import threading
import time
import traceback


class Worker(threading.Thread):
    tick_seconds = None  # set to re-sync tick() keys periodically

    def __init__(self, name):
        super().__init__(daemon=True, name=name)
        self.cv = threading.Condition()
        self.timers = []  # heap of (due, seq, ns, name)
        self.seq = itertools.count()
        self.stopped = False

    def enqueue(self, ns, name, delay=0.0):
        with self.cv:
            heapq.heappush(self.timers, (time.time() + delay, next(self.seq), ns, name))
            self.cv.notify()

    def stop(self):
        with self.cv:
            self.stopped = True
            self.cv.notify()

    def tick(self):
        """Keys to re-sync every tick_seconds."""
        return []

    def sync(self, ns, name):
        raise NotImplementedError

    def run(self):
        next_tick = time.time() + self.tick_seconds if self.tick_seconds else None
        while True:
            with self.cv:
                while not self.stopped:
                    now = time.time()
                    due = self.timers[0][0] if self.timers else None
                    if (due is not None and due <= now) or (next_tick is not None and now >= next_tick):
                        break
                    wake = min(d for d in (due, next_tick) if d is not None) if (due or next_tick) else None
                    self.cv.wait(None if wake is None else max(0.0, wake - now))
                if self.stopped:
                    return
                keys = set()
                while self.timers and self.timers[0][0] <= time.time():
                    keys.add(heapq.heappop(self.timers)[2:])
            if next_tick is not None and time.time() >= next_tick:
                next_tick = time.time() + self.tick_seconds
                keys.update(self.tick())
            for ns, name in sorted(keys, key=str):
                try:
                    self.sync(ns, name)
                except Exception:
                    traceback.print_exc()
