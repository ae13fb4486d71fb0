# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3 operation names the test harness's counting proxy assigns (tests/s3servers.py)."""

import pytest

from s3servers import Request


@pytest.mark.parametrize('method, target, copy_source, op', [
    ('GET', '/', None, 'ListBuckets'),
    ('PUT', '/b', None, 'CreateBucket'),
    ('HEAD', '/b', None, 'HeadBucket'),
    ('DELETE', '/b', None, 'DeleteBucket'),
    ('GET', '/b?list-type=2&prefix=a%2F&max-keys=10', None, 'ListObjectsV2'),
    ('GET', '/b?prefix=a', None, 'ListObjects'),
    ('GET', '/b?location', None, 'GetBucketLocation'),
    ('GET', '/b?policy', None, 'GetBucketPolicy'),
    ('GET', '/b?uploads', None, 'ListMultipartUploads'),
    ('POST', '/b?delete', None, 'DeleteObjects'),
    ('GET', '/b/k', None, 'GetObject'),
    ('HEAD', '/b/k', None, 'HeadObject'),
    ('PUT', '/b/k', None, 'PutObject'),
    ('PUT', '/b/k', '/b/src', 'CopyObject'),
    ('DELETE', '/b/k', None, 'DeleteObject'),
    ('PUT', '/b/k?acl', None, 'PutObjectAcl'),
    ('GET', '/b/k?tagging', None, 'GetObjectTagging'),
    ('PUT', '/b/k?object-lock', None, 'PutObjectObjectLock'),
    ('POST', '/b/k?uploads', None, 'CreateMultipartUpload'),
    ('PUT', '/b/k?partNumber=1&uploadId=u', None, 'UploadPart'),
    ('PUT', '/b/k?partNumber=1&uploadId=u', '/b/src', 'UploadPartCopy'),
    ('POST', '/b/k?uploadId=u', None, 'CompleteMultipartUpload'),
    ('DELETE', '/b/k?uploadId=u', None, 'AbortMultipartUpload'),
    ('GET', '/b/k?uploadId=u', None, 'ListParts'),
])
def test_classify(method, target, copy_source, op):
    assert Request(method, target, copy_source).op == op


def test_bucket_and_key_are_unquoted():
    req = Request('GET', '/my-bucket/dir/a%20b%2Bc?x-id=GetObject')
    assert (req.bucket, req.key, req.path, req.status) == ('my-bucket', 'dir/a b+c', '/my-bucket/dir/a%20b%2Bc', None)
