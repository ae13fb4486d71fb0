# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options shared by s32s.sync.s32s_push and s32s.sync.s32s_pull."""

    DOCUMENTATION = r"""
options:
  maps_s3_path:
    description:
      - Where the S32S map files are kept on S3, as C(bucket/prefix/maps) or C(s3://bucket/prefix/maps)
        (the C(maps_s3_path) of C(s32s.ini)).
      - Either one C(.json) object, or a prefix whose C(.json) objects directly under C(prefix/) are all read.
        The prefix is listed as C(prefix/), so C(maps-old/) is never read.
      - Map files found this way are never deleted by any map, even one whose O(s3) covers them.
      - Exactly one of O(maps_s3_path), O(maps_file), O(maps) and O(s3) is required.
    type: str
  maps_file:
    description:
      - A JSON map file on the managed host, in the S32S format (a JSON array of map objects).
    type: path
  maps:
    description:
      - The maps inline, as a list of S32S map objects with the keys C(name) (required), C(description),
        C(s3) (required), C(master) (required to push), C(slave) (required to pull), C(ignore) (list of rules)
        and C(files) (list of paths relative to the map root).
    type: list
    elements: dict
  s3:
    description:
      - A single map without any map file, as C(bucket/prefix); use with O(ignore), O(files) and the
        local directory option of the module (C(src) to push, C(dest) to pull). The map is named after it.
    type: str
  ignore:
    description:
      - S32S ignore rules for the single map given by O(s3), matched against the path relative to the map root.
      - C(text*) ignores paths starting with C(text), C(*text) ending with it, C(*text*) containing it;
        C(a*b) starting with C(a) and ending with C(b); a rule without C(*) ignores exactly that path.
        A rule that matches a directory ignores everything below it.
      - Ignored paths are never read, transferred or deleted, on either side.
    type: list
    elements: str
  files:
    description:
      - For the single map given by O(s3), copy only these paths (relative to the map root) and delete nothing.
        The run fails before any change if one of them is missing from the source.
    type: list
    elements: str
  names:
    description:
      - Run only the maps with these names. By default every map runs, sorted by name as S32S does.
      - Every map is validated, selected or not.
    type: list
    elements: str
  delete:
    description:
      - For directory maps, delete what the source no longer has, so the destination equals the source.
        Nothing is ever wiped first. C(files) maps never delete.
    type: bool
    default: true
  max_delete:
    description:
      - The deletion budget of one map in one run, checked on the whole plan before the first change.
        A run over budget changes nothing and says how many deletions it would have made.
      - A count (V(10)), a percentage of the destination's files rounded up (V(25%)), or V(unlimited) (or V(-1)).
    type: str
    default: "50%"
  allow_empty_source:
    description:
      - Allow deletions when the source is empty (an empty prefix, an empty directory).
        By default an empty source fails the map before any deletion (a typo or an unmounted disk
        must not delete everything).
    type: bool
    default: false
  allow_bare_bucket:
    description:
      - Allow deletions when a map's C(s3) is a bare bucket without a prefix.
    type: bool
    default: false
  concurrency:
    description:
      - Number of files transferred at the same time (worker threads).
    type: int
    default: 8
  list_files:
    description:
      - Return the relative paths created, updated and deleted per map (at most 1000 per list).
    type: bool
    default: false
  state_dir:
    description:
      - Directory on the managed host where the manifest of each map is kept (what this module last wrote,
        that is size, mtime, inode change time, inode and ETag per path). It makes a no-op run cost one listing,
        with no request and no hashing per file. Losing it costs hashing, never a wrong result.
    type: path
    default: ~/.cache/s32s.sync
  use_manifest:
    description:
      - Read and write the manifest in O(state_dir). When V(false), unchanged files are compared by hashing.
    type: bool
    default: true
  addressing_style:
    description:
      - S3 addressing style of the client. Many S3-compatible stores need V(path).
    type: str
    default: auto
    choices: [auto, path, virtual]
  request_checksum_calculation:
    description:
      - botocore's C(request_checksum_calculation). V(when_required) keeps S3-compatible stores that reject
        the newer checksum headers working.
    type: str
    default: when_required
    choices: [when_supported, when_required]
  response_checksum_validation:
    description:
      - botocore's C(response_checksum_validation).
    type: str
    default: when_required
    choices: [when_supported, when_required]
  max_attempts:
    description:
      - Attempts per S3 request, with exponential backoff, on throttling, 5xx and connection errors
        (botocore's C(standard) retry mode).
    type: int
    default: 5
"""
