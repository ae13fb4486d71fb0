# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a host that runs the s32s.sync modules needs, checked before any work starts.

**PRIVATE**: this module is internal to the s32s.sync collection.

The floors are the ones ``make compat`` proves (CONTRIBUTING.md): Python 3.9
(``hashlib.md5(usedforsecurity=False)`` is 3.9+; Python 3.8 crashed in the
middle of a push), boto3 and botocore 1.36 (the first whose
``botocore.config.Config`` takes ``request_checksum_calculation`` and
``response_checksum_validation``, which every module sets).

Written for old Pythons on purpose (no annotations, no f-strings), so that a
host below the floor reaches :func:`check_host` and gets a ``fail_json``
naming the requirement instead of a traceback. Imports nothing from Ansible
and does not need ``packaging`` (which amazon.aws needs for its own version
check, and silently skips without).
"""

import re
import sys

MIN_PYTHON = (3, 9)
MIN_BOTO3 = "1.36.0"
MIN_BOTOCORE = "1.36.0"


def _version_tuple(version):
    """``'1.36.0'`` -> ``(1, 36, 0)``; trailing text (``'1.36.0rc1'``, ``'1.36.0.dev2'``) is ignored."""
    parts = []
    for piece in str(version).split("."):
        match = re.match(r"\d+", piece)
        if not match:
            break
        parts.append(int(match.group(0)))
        if match.end() != len(piece):
            break
    return tuple(parts)


def _at_least(found, wanted):
    found, wanted = _version_tuple(found), _version_tuple(wanted)
    width = max(len(found), len(wanted))
    return found + (0,) * (width - len(found)) >= wanted + (0,) * (width - len(wanted))


def installed_versions():
    """``{'python': '3.9.18', 'boto3': '1.36.0' or None, 'botocore': ... or None}`` of this interpreter."""
    versions = {"python": "%d.%d.%d" % tuple(sys.version_info[:3]), "boto3": None, "botocore": None}
    for name in ("boto3", "botocore"):
        try:
            versions[name] = __import__(name).__version__
        except Exception:  # pylint: disable=broad-except  # missing or broken: reported as missing
            pass
    return versions


def problems(versions):
    """The requirements that ``versions`` (as :func:`installed_versions` returns) miss, as sentences."""
    out = []
    python = "%d.%d" % MIN_PYTHON
    if not _at_least(versions["python"], python):
        out.append("Python >= %s (found %s)" % (python, versions["python"]))
    for name, wanted in (("boto3", MIN_BOTO3), ("botocore", MIN_BOTOCORE)):
        found = versions.get(name)
        if found is None:
            out.append("%s >= %s (not installed)" % (name, wanted))
        elif not _at_least(found, wanted):
            out.append("%s >= %s (found %s)" % (name, wanted, found))
    return out


def requirements_message(missing, interpreter=None):
    """The one-line ``msg`` for a host that misses ``missing`` (a non-empty list from :func:`problems`)."""
    return ("s32s.sync needs %s on the host that runs the module (interpreter %s). Install them there "
            "(pip install 'boto3>=%s' 'botocore>=%s'), or point ansible_python_interpreter at a Python that "
            "has them." % (", ".join(missing), interpreter or sys.executable, MIN_BOTO3, MIN_BOTOCORE))


def check_host(module, versions=None):
    """``module.fail_json`` (nothing changed) when this host is below a floor; return otherwise."""
    versions = versions or installed_versions()
    missing = problems(versions)
    if missing:
        module.fail_json(msg=requirements_message(missing), changed=False,
                         python_version=versions["python"], boto3_version=versions.get("boto3"),
                         botocore_version=versions.get("botocore"))


__all__ = ["MIN_PYTHON", "MIN_BOTO3", "MIN_BOTOCORE", "installed_versions", "problems", "requirements_message",
           "check_host"]
