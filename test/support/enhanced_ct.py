#!/usr/bin/python3
"""Builds one multi-frame Enhanced CT (or Legacy Converted Enhanced CT) object from a directory
of single-frame CT images, as a scanner or an archive's legacy conversion would: per-frame Plane
Position, shared Plane Orientation and Pixel Measures, per-frame Pixel Value Transformation
(rescale), frames in slice order, native Explicit VR Little Endian pixel data.

It carries the functional groups the analysis reads (plane position and orientation, pixel
measures, pixel value transformation, CT X-ray details), not every macro the IOD requires.

usage: enhanced_ct.py SRC_DIR OUT_FILE [--legacy] [--declare-frames N] [--short-pixel-data K] [--reverse]
  --legacy            Legacy Converted Enhanced CT Image Storage instead of Enhanced CT
  --declare-frames N  write Number of Frames = N whatever the pixel data holds (a damaged object)
  --short-pixel-data K  leave the last K frames out of the Pixel Data (a damaged object)
  --reverse           store the frames from head to feet (the loader must order them by position)
"""
import argparse
import os
import sys

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

ENHANCED_CT = '1.2.840.10008.5.1.4.1.1.2.1'
LEGACY_ENHANCED_CT = '1.2.840.10008.5.1.4.1.1.2.2'


def item(**attrs):
    d = Dataset()
    for k, v in attrs.items():
        setattr(d, k, v)
    return d


def main():
    p = argparse.ArgumentParser()
    p.add_argument('src')
    p.add_argument('out')
    p.add_argument('--legacy', action='store_true')
    p.add_argument('--declare-frames', type=int)
    p.add_argument('--short-pixel-data', type=int, default=0)
    p.add_argument('--reverse', action='store_true')
    a = p.parse_args()

    slices = [pydicom.dcmread(os.path.join(a.src, f)) for f in sorted(os.listdir(a.src))]
    slices = [s for s in slices if 'PixelData' in s]
    iop = [float(x) for x in slices[0].ImageOrientationPatient]
    r, c = iop[:3], iop[3:]
    normal = [r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]]
    slices.sort(key=lambda s: sum(float(x) * n for x, n in zip(s.ImagePositionPatient, normal)), reverse=a.reverse)
    first = slices[0]

    ds = Dataset()
    # Patient, study, series and frame of reference as in the original: the same acquisition.
    for kw in ('PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyInstanceUID', 'StudyDate', 'StudyTime',
               'StudyID', 'AccessionNumber', 'ReferringPhysicianName', 'SeriesInstanceUID', 'SeriesNumber', 'Modality',
               'FrameOfReferenceUID', 'Manufacturer', 'SpecificCharacterSet'):
        if kw in first:
            setattr(ds, kw, getattr(first, kw))
    ds.SOPClassUID = LEGACY_ENHANCED_CT if a.legacy else ENHANCED_CT
    ds.SOPInstanceUID = generate_uid()
    ds.InstanceNumber = 1
    ds.ImageType = ['ORIGINAL', 'PRIMARY', 'AXIAL', 'NONE']
    ds.ContentDate = getattr(first, 'StudyDate', '20000101')
    ds.ContentTime = '000000'
    ds.AcquisitionDateTime = ds.ContentDate + '000000'
    dimension = generate_uid()
    ds.DimensionOrganizationSequence = Sequence([item(DimensionOrganizationUID=dimension)])
    ds.DimensionIndexSequence = Sequence([item(DimensionOrganizationUID=dimension, DimensionIndexPointer=0x00209057, FunctionalGroupPointer=0x00209111)])
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.Rows = first.Rows
    ds.Columns = first.Columns
    ds.BitsAllocated = first.BitsAllocated
    ds.BitsStored = first.BitsStored
    ds.HighBit = first.HighBit
    ds.PixelRepresentation = first.PixelRepresentation
    ds.NumberOfFrames = a.declare_frames if a.declare_frames is not None else len(slices)
    ds.BurnedInAnnotation = 'NO'
    ds.LossyImageCompression = '00'
    ds.PresentationLUTShape = 'IDENTITY'
    if 'KVP' in first:
        ds.KVP = first.KVP  # Legacy Converted keeps it at the top level

    shared = item(
        PlaneOrientationSequence=Sequence([item(ImageOrientationPatient=first.ImageOrientationPatient)]),
        PixelMeasuresSequence=Sequence([item(PixelSpacing=first.PixelSpacing, SliceThickness=getattr(first, 'SliceThickness', 1))]),
    )
    if not a.legacy:
        shared.CTImageFrameTypeSequence = Sequence([item(FrameType=['ORIGINAL', 'PRIMARY', 'AXIAL', 'NONE'])])
        if 'KVP' in first:
            shared.CTXRayDetailsSequence = Sequence([item(KVP=first.KVP)])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])

    per_frame = []
    for i, s in enumerate(slices):
        per_frame.append(item(
            FrameContentSequence=Sequence([item(InStackPositionNumber=i + 1, StackID='1', DimensionIndexValues=i + 1)]),
            PlanePositionSequence=Sequence([item(ImagePositionPatient=s.ImagePositionPatient)]),
            PixelValueTransformationSequence=Sequence([item(
                RescaleSlope=getattr(s, 'RescaleSlope', 1), RescaleIntercept=getattr(s, 'RescaleIntercept', 0), RescaleType='HU')]),
        ))
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.PixelData = b''.join(s.PixelData[: first.Rows * first.Columns * first.BitsAllocated // 8] for s in slices[: len(slices) - a.short_pixel_data])

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.save_as(a.out, write_like_original=False)
    print(f'{a.out}: {len(slices)} frames ({"legacy converted " if a.legacy else ""}enhanced CT), declared {ds.NumberOfFrames}')


if __name__ == '__main__':
    sys.exit(main())
