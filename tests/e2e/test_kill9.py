"""End-to-end: `kill -9` of `gdsweep run` at ten random moments of a
200-trial sweep: its trials die with it, and the resumed sweep ends with
exactly its budget of COMPLETE trials, none failed, none run twice at once."""
import signal
import unittest

from interruptions import InterruptedSweepCase


class Kill9Test(InterruptedSweepCase):
    def test_kill_9_at_ten_random_moments_loses_nothing_and_leaves_no_orphans(self):
        self.run_stopped_sweep(signal.SIGKILL)


if __name__ == "__main__":
    unittest.main()
