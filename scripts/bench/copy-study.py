#!/usr/bin/python3
"""Copies a DICOM study with every UID renewed consistently (references included), so that an
RTSTRUCT still names the images of its copy. Usage: copy-study.py SOURCE_DIR TARGET_DIR SEED"""
import hashlib
import os
import sys

import pydicom

source, target, seed = sys.argv[1], sys.argv[2], sys.argv[3]
mapping = {}


def renew(uid):
    # Standard UIDs (SOP classes, transfer syntaxes, coding schemes) stay; instance UIDs change.
    if uid.startswith('1.2.840.10008.') or uid == '':
        return uid
    if uid not in mapping:
        digest = int(hashlib.sha256(f'{seed}/{uid}'.encode()).hexdigest()[:30], 16)
        mapping[uid] = f'2.25.{digest}'
    return mapping[uid]


def visit(ds):
    for element in ds:
        if element.VR == 'UI':
            if element.VM > 1:
                element.value = [renew(str(v)) for v in element.value]
            elif element.value:
                element.value = renew(str(element.value))
        elif element.VR == 'SQ':
            for item in element.value:
                visit(item)


for root, _, files in os.walk(source):
    for name in files:
        if not name.endswith('.dcm'):
            continue
        ds = pydicom.dcmread(os.path.join(root, name))
        visit(ds)
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        out = os.path.join(target, os.path.relpath(root, source))
        os.makedirs(out, exist_ok=True)
        ds.save_as(os.path.join(out, name), write_like_original=True)
