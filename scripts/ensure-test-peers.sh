#!/usr/bin/env bash
# The tests talk to real peers, not mocks: DCMTK, dicom3tools (dciodvfy), python3-hl7 (MLLP),
# Orthanc (a real PACS) with its DICOMweb plugin, plastimatch (an independent RTSTRUCT rasteriser),
# pydicom (builds Enhanced CT test inputs), headless Chromium (the web console), PostgreSQL and
# HAProxy (scale-out), poppler-utils (pdftotext/pdffonts/pdftoppm read the PDFs we write) and
# R glmnet (the reference for the elastic-net fit), all from Debian; the openssl CLI makes the
# throwaway CA and certificates of the TLS tests.
# Installs the missing ones when run as root; otherwise prints the one command to run and fails,
# so the peer tests are never skipped silently.
set -euo pipefail

need=()
command -v storescu >/dev/null 2>&1 && command -v dcmdump >/dev/null 2>&1 || need+=(dcmtk)
command -v dciodvfy >/dev/null 2>&1 || need+=(dicom3tools)
/usr/bin/python3 -c 'import hl7.mllp' >/dev/null 2>&1 || need+=(python3-hl7)
{ command -v Orthanc >/dev/null 2>&1 || [ -x /usr/sbin/Orthanc ]; } || need+=(orthanc)
command -v plastimatch >/dev/null 2>&1 || need+=(plastimatch)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
ls /usr/share/orthanc/plugins/libOrthancDicomWeb.so >/dev/null 2>&1 || need+=(orthanc-dicomweb)
/usr/bin/python3 -c 'import pydicom' >/dev/null 2>&1 || need+=(python3-pydicom)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
command -v pdftotext >/dev/null 2>&1 && command -v pdffonts >/dev/null 2>&1 || need+=(poppler-utils)
{ command -v Rscript >/dev/null 2>&1 && Rscript -e 'library(glmnet)' >/dev/null 2>&1; } || need+=(r-cran-glmnet)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these Debian packages as real DICOM/HL7 peers: ${need[*]}" >&2
  echo "Install them once, then run the tests again:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
  exit 1
fi

echo "Installing test peers: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; if the update fails, try the lists at hand.
apt-get update -qq >/dev/null || echo "warning: apt-get update failed; installing from the package lists at hand" >&2
# policy-rc.d keeps the orthanc, postgresql and haproxy packages from starting their system
# services during install (the tests start their own on free ports).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
fi
status=0
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || status=$?
[ "$created_policy" -eq 1 ] && rm -f "$policy"
if [ "$status" -ne 0 ]; then
  echo "apt-get install ${need[*]} failed (exit $status); the tests cannot run without these peers." >&2
  exit "$status"
fi
