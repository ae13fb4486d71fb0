# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figures of the s32s-watch service for issue 13 (not part of ``make test``).

Runs the service as the role installs it (``tests/watchkit.py``) against each local test server and
prints one JSON document: the time from a file's last write to the end of its upload (the service's
``sent`` log record), over ``--files`` files written one after the other (median, p90, max), and the
requests the service makes in ``--idle`` seconds without changes, with the default rescan interval
and with a short one. Usage: ``.venv/bin/python bench/watch_figures.py [--servers moto,rclone]``.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(ROOT, 'tests'), os.path.join(ROOT, '.collections')]

from s3servers import S3Endpoint, ServerPool  # noqa: E402  pylint: disable=wrong-import-position
from watchkit import WatchHost, wait_for  # noqa: E402  pylint: disable=wrong-import-position


def _ts(text):
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%fZ').replace(
        tzinfo=datetime.timezone.utc).timestamp()


def latency(endpoint, base, files, settle_s):
    root = os.path.join(base, 'lat')
    os.makedirs(root)
    host = WatchHost(os.path.join(base, 'lat-host'), endpoint,
                     [{'name': 'lat', 's3': '%s/lat' % endpoint.bucket, 'master': root}], settle_s=settle_s)
    host.start()
    written = {}
    try:
        for i in range(files):
            name = 'f%03d.txt' % i
            with open(os.path.join(root, name), 'w', encoding='utf-8') as f:
                f.write('file %d\n' % i)
            written[name] = time.time()
            wait_for(lambda n=name: any(r.get('path') == n and r['event'] == 'sent' for r in host.log_records()),
                     interval=0.01, what=name)
    finally:
        host.stop()
    sent = {r['path']: _ts(r['ts']) for r in host.log_records() if r['event'] == 'sent'}
    times = sorted(sent[n] - written[n] for n in written)
    return {'files': files, 'settle_s': settle_s, 'median_s': round(statistics.median(times), 3),
            'p90_s': round(times[int(len(times) * 0.9) - 1], 3), 'max_s': round(times[-1], 3)}


def idle(endpoint, base, seconds, rescan_interval_s):
    root = os.path.join(base, 'idle-%g' % rescan_interval_s)
    os.makedirs(root)
    for i in range(20):
        with open(os.path.join(root, 'f%02d.txt' % i), 'w', encoding='utf-8') as f:
            f.write('x')
    host = WatchHost(os.path.join(base, 'idle-host-%g' % rescan_interval_s), endpoint,
                     [{'name': 'idle', 's3': '%s/idle-%g' % (endpoint.bucket, rescan_interval_s), 'master': root}],
                     rescan_interval_s=rescan_interval_s)
    host.start()
    try:
        wait_for(lambda: host.map_status('idle')['queue_depth'] == 0)
        with endpoint.requests() as log:
            time.sleep(seconds)
    finally:
        host.stop()
    return {'seconds': seconds, 'rescan_interval_s': rescan_interval_s, 'requests': dict(log.ops())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--servers', default='moto,rclone')
    parser.add_argument('--files', type=int, default=100)
    parser.add_argument('--settle', type=float, default=0.2)
    parser.add_argument('--idle', type=float, default=60.0)
    args = parser.parse_args()
    out = {}
    pool = ServerPool(lambda name: tempfile.mkdtemp(prefix='watch-figures-%s-' % name))
    try:
        for name in args.servers.split(','):
            endpoint = S3Endpoint(pool.get(name))
            endpoint.bucket = endpoint.create_bucket()
            base = tempfile.mkdtemp(prefix='watch-figures-')
            out[name] = {'latency': latency(endpoint, base, args.files, args.settle),
                         'idle_default': idle(endpoint, base, args.idle, 3600.0),
                         'idle_short_rescans': idle(endpoint, base, args.idle, 20.0)}
    finally:
        pool.close()
    print(json.dumps(out, indent=2))


if __name__ == '__main__':
    main()
