# Run on the controller by tasks/install.yml: python -c "<this>" ENGINE_DIR ARCHIVE.
# Packs the engine package (plugins/module_utils/_engine) as ARCHIVE (tar.gz) without
# __pycache__, every entry owned by root with mode 0644 (directories 0755), and prints
# the files' relative paths as one JSON list.
import json
import os
import sys
import tarfile

src, archive = sys.argv[1], sys.argv[2]
names = []


def clean(info):
    parts = info.name.split('/')
    if '__pycache__' in parts or info.name.endswith(('.pyc', '.pyo')) or not (info.isdir() or info.isfile()):
        return None
    info.uid = info.gid = 0
    info.uname = info.gname = 'root'
    info.mode = 0o755 if info.isdir() else 0o644
    if info.isfile():
        names.append(os.path.relpath(info.name, '.'))
    return info


with tarfile.open(archive, 'w:gz') as tar:
    tar.add(os.path.realpath(src), arcname='.', filter=clean)
print(json.dumps(sorted(names)))
