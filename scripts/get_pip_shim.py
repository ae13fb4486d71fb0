# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Offline stand-in for ansible-test's pip bootstrap script.
#
# ansible-test downloads get-pip-<version>.py from ci-files.testing.ansible.com,
# which is unreachable on the development machines.  It first looks for a cached
# copy at ~/.ansible/test/cache/get_pip_<version>.py, so `make venv` installs this
# file there together with the matching pip wheel (pip download pip==24.2); make compat does the
# same for the pip version of each ansible-core it tests (get_pip_23_1_2.py, get_pip_25_2.py, ...).
# Running it installs pip from the wheel of its own name's version (the newest cached wheel when
# that one is missing); the get-pip.py only options
# --no-setuptools and --no-wheel are dropped.
"""Install pip from a pip wheel lying next to this file (ansible-test bootstrap)."""

import glob
import os
import sys


def main():
    """Run ``pip install`` from the cached pip wheel of this file's version (else the newest one)."""
    here = os.path.dirname(os.path.abspath(__file__))
    name = os.path.splitext(os.path.basename(__file__))[0]
    own = name[len('get_pip_'):].replace('_', '.') if name.startswith('get_pip_') else None
    wheels = sorted(glob.glob(os.path.join(here, 'pip-%s-*.whl' % own))) if own else []
    wheels = wheels or sorted(glob.glob(os.path.join(here, 'pip-*.whl')))
    if not wheels:
        sys.stderr.write('get_pip shim: no pip-*.whl next to %s\n' % here)
        return 1
    sys.path.insert(0, wheels[-1])
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel
    args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
    return pip_main(['install'] + args)


if __name__ == '__main__':
    sys.exit(main())
