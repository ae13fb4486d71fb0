# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Where the S32S maps come from (s32s.sync.s32s_push and s32s.sync.s32s_pull)."""

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
  preferred_transfer_client:
    description:
      - Which client sends the objects smaller than the multipart threshold (8 MiB), one request each.
      - V(crt) presigns each request with botocore and sends it through the AWS Common Runtime (the Python
        package C(awscrt), for example C(pip install awscrt) or C(boto3[crt])), which costs about a third
        of botocore's CPU per request and so shortens full transfers of many small files. Each PUT carries
        C(Content-MD5); GETs keep the size and MD5 checks. Fails when C(awscrt) is missing.
      - V(classic) sends every request with botocore.
      - V(auto) is V(crt) when C(awscrt) is installed on the host and no HTTP proxy is configured
        (C(HTTPS_PROXY), C(HTTP_PROXY), C(ALL_PROXY) or O(aws_config) C(proxies)), else V(classic).
      - Larger objects always go through botocore and s3transfer (multipart, bounded memory); listings,
        deletions and map files too. The name and values follow the AWS CLI's C(preferred_transfer_client).
    type: str
    default: auto
    choices: [auto, crt, classic]
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
  files:
    description:
      - For the single map given by O(s3), copy only these paths (relative to the map root) and delete nothing.
        The run fails before any change if one of them is missing from the source.
    type: raw
  names:
    description:
      - Run only the maps with these names. By default every map runs, sorted by name as S32S does.
      - Every map is validated, selected or not.
      - A list of strings; a single string is refused.
    type: raw
  lock_timeout:
    description:
      - Seconds to wait for another run on the same destination on this host, then fail without a change.
        A push locks each map's S3 prefix, a pull each map's local directory, from before the listing until
        the manifest is written, so two runs never both apply; the second one plans from what the first
        one left (usually a no-op).
      - The lock is an C(flock) on a file in O(state_dir) named from a digest of the prefix or directory
        (also without O(use_manifest)); the system releases it when the run ends, however it ends.
        Check mode takes no lock.
      - It locks runs on one host only. Pushes from two hosts to one prefix are not coordinated.
    type: float
    default: 60
"""
