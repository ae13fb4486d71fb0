# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make a test bucket look server-side encrypted, through the counting proxy's answer rewriting.

Neither moto's server mode nor ``rclone serve s3`` encrypts with KMS or customer keys, so the proxy
plays the part the client can see (S3 API reference, ``Object`` data type, ``ETag``):

* :func:`kms_like`: every ETag (headers of GET, HEAD, PUT, UploadPart, and the ``<ETag>`` elements of
  listings, CopyObject and CompleteMultipartUpload bodies) becomes a stable 32-hex value that is NOT
  the MD5 of the content, and GET, HEAD, PUT, copy and multipart answers carry
  ``x-amz-server-side-encryption: aws:kms``. ``header=False`` rewrites the ETags without the header:
  a store that says nothing about encryption yet answers with a wrong MD5.
* :func:`sse_c_like`: every GetObject is answered as S3 answers a GET of an SSE-C object sent
  without the customer key (400 InvalidRequest).
"""

import hashlib
import re

KMS_OPS = ('GetObject', 'HeadObject', 'PutObject', 'UploadPart', 'CopyObject', 'CompleteMultipartUpload',
           'CreateMultipartUpload')
_ETAG_ELEMENT = re.compile(rb'<ETag>(&quot;|&#34;|")?([0-9a-fA-F]{32})(-[0-9]+)?(&quot;|&#34;|")?</ETag>')
SSE_C_MESSAGE = ('The object was stored using a form of Server Side Encryption. The correct parameters must be '
                 'provided to retrieve the object.')


def kms_etag(etag):
    """The KMS-like ETag the proxy shows for a server ETag (quotes and a ``-N`` suffix kept)."""
    bare = etag.strip('"').lower()
    digest, dash, parts = bare.partition('-')
    fake = hashlib.md5(b'kms-like:' + digest.encode()).hexdigest()
    return '"%s%s%s"' % (fake, dash, parts)


def kms_like(s3, header=True):
    """Rewrite every answer of ``s3`` (until the test ends) as an SSE-KMS bucket would give it."""
    def respond(req, status, headers, body):
        if status >= 300:
            return status, headers, body
        out = [(k, kms_etag(v) if k.lower() == 'etag' else v) for k, v in headers]
        if header and req.op in KMS_OPS:
            out.append(('x-amz-server-side-encryption', 'aws:kms'))
            out.append(('x-amz-server-side-encryption-aws-kms-key-id', 'arn:aws:kms:us-east-1:000000000000:key/test'))
        if body:
            body = _ETAG_ELEMENT.sub(
                lambda m: b'<ETag>&quot;' + kms_etag((m.group(2) + (m.group(3) or b'')).decode()).strip('"').encode()
                + b'&quot;</ETag>', body)
        return status, out, body
    s3.on_response(respond, op=KMS_OPS + ('ListObjectsV2', 'ListObjects'))


def sse_c_like(s3):
    """Answer every GetObject of ``s3`` (until the test ends) as S3 does for an SSE-C object read without its key."""
    def respond(req, status, headers, body):
        payload = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidRequest</Code><Message>%s</Message>'
                   '<RequestId>s32s-test</RequestId></Error>' % SSE_C_MESSAGE).encode()
        return 400, [('Content-Type', 'application/xml')], payload
    s3.on_response(respond, op='GetObject')
