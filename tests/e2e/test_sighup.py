"""End-to-end: SIGHUP (a closed terminal, a dropped SSH session) to `gdsweep
run` at ten random moments of a 200-trial sweep stops it as SIGTERM does: its
trials end with it and are requeued, and the resumed sweep ends with exactly
its budget of COMPLETE trials, none failed."""
import signal
import unittest

from interruptions import InterruptedSweepCase


class SighupTest(InterruptedSweepCase):
    def test_sighup_at_ten_random_moments_stops_cleanly_and_loses_nothing(self):
        self.run_stopped_sweep(signal.SIGHUP)


if __name__ == "__main__":
    unittest.main()
