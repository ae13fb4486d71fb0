# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replication destinations: what each inherits from the module's connection options
(``_glue_replicate.dest_params``) and when two connections are one store (``_glue_client.same_store``:
server-side copies)."""

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._argspec import DEST_CONNECTION_OPTIONS
from ansible_collections.s32s.sync.plugins.module_utils._glue_client import CREDENTIALS, same_store
from ansible_collections.s32s.sync.plugins.module_utils._glue_replicate import dest_params

MODULE = dict({k: None for k in DEST_CONNECTION_OPTIONS}, endpoint_url='http://src:9000', access_key='AK',
              secret_key='SK', region='eu-west-1', addressing_style='path', validate_certs=True,
              request_checksum_calculation='when_required', response_checksum_validation='when_required',
              concurrency=8, max_attempts=5)


def test_a_destination_that_sets_nothing_inherits_everything():
    merged = dest_params(MODULE, {'s3': 'b/p'})
    assert merged == {k: MODULE[k] for k in list(DEST_CONNECTION_OPTIONS) + ['concurrency', 'max_attempts']}
    assert same_store(MODULE, merged)


def test_own_endpoint_keeps_the_inherited_credentials_and_is_another_store():
    merged = dest_params(MODULE, {'s3': 'b/p', 'endpoint_url': 'http://dst:9000'})
    assert merged['endpoint_url'] == 'http://dst:9000'
    assert (merged['access_key'], merged['secret_key'], merged['region']) == ('AK', 'SK', 'eu-west-1')
    assert not same_store(MODULE, merged)


@pytest.mark.parametrize('own', CREDENTIALS)
def test_credentials_are_inherited_as_a_group(own):
    """Setting any one credential option drops all the inherited ones (no secret of the source
    paired with another principal's key)."""
    merged = dest_params(MODULE, {'s3': 'b/p', own: 'mine'})
    assert merged[own] == 'mine'
    assert all(merged[k] is None for k in CREDENTIALS if k != own)
    assert not same_store(MODULE, merged)


@pytest.mark.parametrize('option, value', [('addressing_style', 'virtual'), ('validate_certs', False),
                                           ('aws_ca_bundle', '/etc/ca.pem'),
                                           ('request_checksum_calculation', 'when_supported')])
def test_own_settings_override_and_the_rest_is_inherited(option, value):
    merged = dest_params(MODULE, {'s3': 'b/p', option: value})
    assert merged[option] == value
    assert all(merged[k] == MODULE[k] for k in DEST_CONNECTION_OPTIONS if k != option)
    # transport settings do not make another store: the same endpoint, region and principal
    assert same_store(MODULE, merged)


def test_a_value_false_is_a_setting_not_an_absence():
    assert dest_params(dict(MODULE, validate_certs=True), {'validate_certs': False})['validate_certs'] is False


@pytest.mark.parametrize('key', ['endpoint_url', 'region'] + list(CREDENTIALS))
def test_same_store_needs_every_identity_field_equal(key):
    other = dict(MODULE, **{key: 'different'})
    assert not same_store(MODULE, other) and not same_store(other, MODULE)
    assert same_store(MODULE, dict(MODULE))


def test_same_store_ignores_unset_and_missing_alike():
    assert same_store({'endpoint_url': None}, {})
