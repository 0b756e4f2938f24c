"""pytest settings for the whole suite: tests, the package's doctests, the README and guides."""

import os

# A fit's thread count can change its floating-point results in the last bits
# (the order of sums), and the suite checks that two seeded fits are
# identical. So it keeps torch's thread count whatever the machine's load:
# with the shared-machine policy on, a fit that started while another process
# held a core ran on one thread and differed from its twin by 2e-9 (seen once
# in CI). tests/test_device.py turns the policy on where it tests it.
os.environ.setdefault("SKLEARN_RNN_FAIR_THREADS", "0")
