# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The s32s.sync engine: every front door on one pipeline.

**PRIVATE**: this package is internal to the s32s.sync collection.

::

    source side ─┐
                 ├─> march ─> comparator ─> plan ─> gate ─> executor ─> report
    dest side  ──┘                ^
    state (manifest) ─────────────┘

Layers, each a sub-package that imports only the ones above it:

``errors.py``, ``paths.py``   typed errors; relpaths, keys and containment
``config/``                   what a run is asked to do: maps, ignore rules, options
``sides/``                    the two ends of a sync behind one interface: a local
                              directory (``local.py``) or an S3 prefix (``s3.py``),
                              their listings (``tree.py``) and S3 transport
``state/``                    what this product last saw in sync (records, manifest), host locks
``plan/``                     pure: the march of listings, comparators, the plan, the gate
``jobs/``                     the runner, the executor, worker pools, the report,
                              and the front doors' jobs (push/pull, replicate)

Nothing here imports Ansible: only the standard library, botocore/boto3 and,
optionally, awscrt. The Ansible glue lives beside this package
(``module_utils/_glue_*.py``, ``_argspec.py``).
"""
