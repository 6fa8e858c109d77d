#!/usr/bin/env bash
# Derives the project's postcode-sector table (data/postcode_sectors.csv) from
# OS Code-Point Open: one row per (postcode sector, local authority district)
# with the number of live unit postcodes of that sector in that district.
#
# Usage:
#   scripts/generate_sector_table.sh [CODEPOINT_DIR] [OUTPUT]
#
#   CODEPOINT_DIR  a Code-Point Open directory (holding Data/CSV/*.csv and
#                  Doc/metadata.txt); default $CODEPOINT_DIR, else
#                  /work/shared/data/codepoint-open-2025.4.
#   OUTPUT         default data/postcode_sectors.csv in this repository.
#
# Sector = normalised outward code + " " + first digit of the inward code,
# where the outward code is the postcode with all spaces removed, less its last
# three characters. Units with an empty district code (no grid reference) are
# skipped and counted. The dataset version and copyright year are read from
# Doc/metadata.txt. The output has no timestamp, so regenerating from the same
# input gives the same file. A summary goes to stderr; if
# data/local_authorities.csv exists, any district code missing from it is
# reported (and the script exits non-zero).
#
# Needs bash, awk and sort only. Sorting uses LC_ALL=C (byte order).
set -euo pipefail
export LC_ALL=C

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "${script_dir}")"

codepoint_dir="${1:-${CODEPOINT_DIR:-/work/shared/data/codepoint-open-2025.4}}"
output="${2:-${repo_dir}/data/postcode_sectors.csv}"
authorities="${repo_dir}/data/local_authorities.csv"

die() {
  echo "generate_sector_table: $*" >&2
  exit 1
}

[ -d "${codepoint_dir}" ] || die "not a directory: ${codepoint_dir}"
csv_dir="${codepoint_dir}/Data/CSV"
[ -d "${csv_dir}" ] || die "no Data/CSV directory in ${codepoint_dir}"
metadata="${codepoint_dir}/Doc/metadata.txt"
[ -f "${metadata}" ] || die "no Doc/metadata.txt in ${codepoint_dir} (needed for the dataset version)"

# "DATASET VERSION NUMBER: 2025.4.0" and "COPYRIGHT DATE: 20251020".
version="$(awk -F': *' '/^DATASET VERSION NUMBER:/ { gsub(/[ \r]/, "", $2); print $2; exit }' \
  "${metadata}")"
copyright_date="$(awk -F': *' '/^COPYRIGHT DATE:/ { gsub(/[ \r]/, "", $2); print $2; exit }' \
  "${metadata}")"
[[ "${version}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "no dataset version in ${metadata}"
[[ "${copyright_date}" =~ ^[0-9]{8}$ ]] || die "no copyright date in ${metadata}"
year="${copyright_date:0:4}"

shopt -s nullglob nocaseglob
files=("${csv_dir}"/*.csv)
shopt -u nullglob nocaseglob
[ ${#files[@]} -gt 0 ] || die "no CSV files in ${csv_dir}"
# Byte order, so the input order (and any error) is the same on every machine.
mapfile -t files < <(printf '%s\n' "${files[@]}" | sort)

tmp_dir="$(mktemp -d)"
trap 'rm -rf "${tmp_dir}"' EXIT

# Pass 1: count units per (sector, district). Fails on any row it does not
# understand, naming the file and line.
awk -F, -v counts="${tmp_dir}/counts" -v stats="${tmp_dir}/stats" '
  function fail(msg) {
    printf "generate_sector_table: %s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
    failed = 1
    exit 1
  }
  function unquote(field, number, name) {
    if (field ~ /^".*"$/) return substr(field, 2, length(field) - 2)
    if (field ~ /"/) fail("field " number " (" name ") has unbalanced quotes")
    return field
  }
  {
    sub(/\r$/, "")
    if ($0 == "") next
    if (NF != 10) fail("expected 10 fields, found " NF)
    postcode = toupper(unquote($1, 1, "Postcode"))
    district = unquote($9, 9, "Admin_district_code")
    gsub(/ /, "", postcode)
    if (postcode !~ /^[A-Z][A-Z]?[0-9][0-9A-Z]?[0-9][A-Z][A-Z]$/)
      fail("field 1 (Postcode) is not a unit postcode")
    read++
    if (district == "") { skipped++; next }
    if (district !~ /^[A-Z][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]$/)
      fail("field 9 (Admin_district_code) is not a GSS code")
    outward = substr(postcode, 1, length(postcode) - 3)
    sector = outward " " substr(postcode, length(postcode) - 2, 1)
    units[sector "," district]++
  }
  END {
    if (failed) exit 1
    for (key in units) print key "," units[key] > counts
    printf "%d %d\n", read, skipped > stats
  }
' "${files[@]}"

sort -t, -k1,1 -k2,2 "${tmp_dir}/counts" > "${tmp_dir}/rows"
read -r units_read units_skipped < "${tmp_dir}/stats"
rows="$(wc -l < "${tmp_dir}/rows" | tr -d ' ')"
sectors="$(cut -d, -f1 "${tmp_dir}/rows" | uniq | wc -l | tr -d ' ')"
split_sectors="$(cut -d, -f1 "${tmp_dir}/rows" | uniq -d | wc -l | tr -d ' ')"
[ "${rows}" -gt 0 ] || die "no units with a district code in ${csv_dir}"

file_names=""
for f in "${files[@]}"; do file_names+="${file_names:+ }$(basename "${f}")"; done

{
  echo "# Postcode sectors of OS Code-Point Open, with the number of live unit postcodes"
  echo "# in each local authority district (GSS code) that the sector reaches."
  echo "# A sector is the outward code, a space and the first digit of the inward code."
  echo "# A sector with more than one row is split between districts."
  echo "#"
  echo "# Source: OS Code-Point Open ${version}, Data/CSV: ${file_names}"
  echo "# Units without a district code (no grid reference) are left out: ${units_skipped}."
  echo "# Generated by: scripts/generate_sector_table.sh <Code-Point Open directory>"
  echo "#"
  echo "# Licence: Open Government Licence v3.0"
  echo "# (https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/)."
  echo "# Contains OS data © Crown copyright and database right ${year}; Contains Royal Mail" \
    "data © Royal Mail copyright and database right ${year}; Contains National Statistics" \
    "data © Crown copyright and database right ${year}"
  echo "#"
  echo "# data_version: codepoint-open-${version}-sectors"
  echo "sector,district_code,units"
  cat "${tmp_dir}/rows"
} > "${tmp_dir}/out"

mkdir -p "$(dirname "${output}")"
mv "${tmp_dir}/out" "${output}"

cat >&2 <<EOF
generate_sector_table: OS Code-Point Open ${version}, ${#files[@]} files
  units read:    ${units_read}
  skipped:       ${units_skipped} (no district code)
  sectors:       ${sectors} (${split_sectors} split between districts)
  rows:          ${rows}
  written:       ${output}
EOF

# Every district code should be named in the project's authority table.
if [ -f "${authorities}" ]; then
  missing="$(awk -F, '
    FNR == NR { if ($0 !~ /^#/) known[$1] = 1; next }
    !($2 in known) { print $2 }
  ' "${authorities}" "${tmp_dir}/rows" | sort -u)"
  if [ -n "${missing}" ]; then
    echo "generate_sector_table: district codes missing from ${authorities}:" >&2
    echo "${missing}" | sed 's/^/  /' >&2
    exit 1
  fi
  echo "  districts:     all in $(basename "${authorities}")" >&2
fi
