#!/usr/bin/env python3
"""Writes the starting corpora of the fuzz targets:
- fuzz/seeds/: a few small segments (open, sealed, torn) for decode_segment, laid out as in
  FORMAT.md (CRC-32/IEEE is zlib's crc32);
- fuzz/seeds_sql/: SQL queries for validate_sql, each parsing and naming only tables of the
  target's history (strata_fuzz::sql::history), covering joins, CTEs, subqueries, set
  operations, window functions, CASE, casts and every kind of finding (the fuzz crate's
  `cargo +nightly test --lib` checks both).
- fuzz/seeds_log/: scripts for decode_log (strata_fuzz::plan::log reads bytes as choices):
  pseudo-random bytes from a fixed generator, half of them starting with a byte below 64
  (a script that makes no mistakes) and half not, so that a short run starts from logs of
  several segments and records instead of growing them from an empty input.
Run from anywhere: python3 fuzz/gen_seeds.py (it replaces the folders' contents)."""
import glob
import os
import struct
import zlib

MAGIC = b"\x89SLG\r\n\x1a\n"
SEAL = 1


def segment_header(segment_number, base_seq, prev_seal_offset=0):
    h = MAGIC + struct.pack("<HHI", 1, 128, 0) + bytes([0x5A] * 16)
    h += struct.pack("<QQQq", segment_number, base_seq, prev_seal_offset, 1_700_000_000_000_000)
    h += bytes(124 - len(h))
    return h + struct.pack("<I", zlib.crc32(h))


def record(rtype, seq, body, ts=1_700_000_000_000_001):
    rest = struct.pack("<IQqHHI", len(body), seq, ts, rtype, 0, zlib.crc32(body))
    return struct.pack("<I", zlib.crc32(rest)) + rest + body


def seal(segment_number, base_seq, seq, offset):
    body = struct.pack("<QQQQ", segment_number, base_seq, seq - base_seq, offset)
    return record(SEAL, seq, body)


# (file stem, query). Tables of the current version (3): penguins, sites, "penguins-raw";
# penguins.year and body_mass_g, sites.latitude and since changed type since version 2.
SQL_SEEDS = [
    ("group_order", "-- mean mass per species\nSELECT species, AVG(body_mass_g) AS avg_mass\n"
     "FROM penguins\nGROUP BY species\nORDER BY avg_mass DESC"),
    ("having", "SELECT island, COUNT(*) AS n\nFROM penguins\nGROUP BY island\nHAVING COUNT(*) > 10"),
    ("where_is_not_null", "SELECT species, sex, AVG(bill_length_mm), AVG(bill_depth_mm)\n"
     "FROM penguins\nWHERE sex IS NOT NULL\nGROUP BY species, sex"),
    ("between", "SELECT MIN(flipper_length_mm) AS shortest, MAX(flipper_length_mm) AS longest\n"
     "FROM penguins\nWHERE flipper_length_mm BETWEEN 180 AND 220"),
    ("alias_in_list", "SELECT p.species, p.island\nFROM penguins AS p\n"
     "WHERE p.body_mass_g > 4000 AND p.species IN ('Adelie', 'Gentoo')"),
    ("star_limit", "SELECT * FROM penguins WHERE bill_length_mm > 45.5 LIMIT 10"),
    ("quoted_raw", "SELECT \"Species\", \"Island\", AVG(\"Body Mass (g)\") AS mean_mass\n"
     "FROM \"penguins-raw\"\nGROUP BY \"Species\", \"Island\""),
    ("count_distinct", "SELECT \"studyName\", COUNT(DISTINCT \"Individual ID\") AS individuals\n"
     "FROM \"penguins-raw\"\nGROUP BY \"studyName\""),
    ("date_literal", "SELECT \"Individual ID\", \"Date Egg\"\nFROM \"penguins-raw\"\n"
     "WHERE \"Date Egg\" >= DATE '2008-01-01' AND \"Clutch Completion\" = 'Yes'"),
    ("ratio", "SELECT \"Culmen Length (mm)\" / \"Culmen Depth (mm)\" AS culmen_ratio\n"
     "FROM \"penguins-raw\"\nWHERE \"Culmen Depth (mm)\" > 0"),
    ("join_on", "SELECT p.species, s.latitude\nFROM penguins p\n"
     "JOIN sites s ON p.island = s.island\nWHERE s.visited"),
    ("left_join_using", "SELECT island, species, since\nFROM penguins LEFT JOIN sites USING (island)"),
    ("join_raw", "SELECT p.species, r.\"Sex\"\nFROM penguins p\n"
     "JOIN \"penguins-raw\" r ON p.island = r.\"Island\" AND p.species = r.\"Species\""),
    ("cte", "WITH heavy AS (\n  SELECT species, body_mass_g AS mass FROM penguins WHERE body_mass_g > 5000\n)\n"
     "SELECT species, mass FROM heavy WHERE mass > 5500"),
    ("cte_chain", "WITH a(s, m) AS (SELECT species, body_mass_g FROM penguins),\n"
     "b AS (SELECT s, m * 2 AS double_mass FROM a)\nSELECT s, double_mass FROM b"),
    ("derived_table", "SELECT t.species, t.n\n"
     "FROM (SELECT species, COUNT(*) AS n FROM penguins GROUP BY species) t\nWHERE t.n > 5"),
    ("correlated", "SELECT p.species FROM penguins p\n"
     "WHERE p.body_mass_g > (SELECT AVG(q.body_mass_g) FROM penguins q WHERE q.species = p.species)\n"
     "AND EXISTS (SELECT 1 FROM \"penguins-raw\" r WHERE r.\"Island\" = p.island)\n"
     "AND p.island IN (SELECT island FROM sites WHERE visited)"),
    ("union", "SELECT species AS name, bill_length_mm AS len FROM penguins\nUNION ALL\n"
     "SELECT \"Species\", \"Culmen Length (mm)\" FROM \"penguins-raw\"\nORDER BY name"),
    ("intersect_except", "SELECT island FROM penguins\nINTERSECT\nSELECT island FROM sites\n"
     "EXCEPT\nSELECT \"Island\" FROM \"penguins-raw\""),
    ("window", "SELECT species, bill_length_mm,\n"
     "  RANK() OVER (PARTITION BY species ORDER BY bill_length_mm DESC) AS r,\n"
     "  AVG(bill_depth_mm) OVER (PARTITION BY island) AS mean_depth\nFROM penguins"),
    ("case", "SELECT CASE WHEN flipper_length_mm > 200 THEN 'long'\n"
     "            WHEN flipper_length_mm IS NULL THEN NULL ELSE 'short' END AS size,\n"
     "       COUNT(*)\nFROM penguins\nGROUP BY 1"),
    ("cast", "SELECT CAST(bill_length_mm AS INTEGER) AS mm, CAST(\"Sample Number\" AS VARCHAR)\n"
     "FROM penguins, \"penguins-raw\"\nWHERE CAST(flipper_length_mm AS DOUBLE) > 190.5"),
    ("qualified_star", "SELECT x.species, x.latitude\n"
     "FROM (SELECT p.*, s.latitude FROM penguins p, sites s) x"),
    ("crlf_tabs", "SELECT\tspecies,\r\n\tisland\r\nFROM\tpenguins\r\nWHERE\tsex = 'FEMALE';"),
    # One seed for each kind of finding.
    ("unknown_table", "SELECT species\nFROM pengiuns"),
    ("unknown_column", "SELECT species,\n       AVG(p.bill_lenght_mm)\nFROM penguins p\nGROUP BY species"),
    ("unknown_column_gone", "SELECT species, \"Culmen Length (mm)\" FROM penguins"),
    ("unknown_table_qualifier", "SELECT q.species FROM penguins p"),
    ("unknown_column_double_quoted_value", "SELECT * FROM penguins WHERE species = \"Adelie\""),
    ("ambiguous_column", "SELECT island, species\nFROM penguins p JOIN sites s ON p.island = s.island"),
    ("type_mismatch_aggregate", "SELECT island,\n  SUM(species) FROM penguins GROUP BY island"),
    ("type_mismatch_compare", "SELECT * FROM penguins\nWHERE bill_length_mm = 'long' OR sex IN ('MALE', 3)"),
    ("type_mismatch_date", "SELECT \"Species\" FROM \"penguins-raw\" WHERE 2008 < \"Date Egg\""),
    ("changed_type", "SELECT species, year\nFROM penguins\nWHERE year > 2007 AND body_mass_g > 4000.5\nORDER BY year"),
    ("changed_type_join", "SELECT s.latitude, s.since, p.species\nFROM sites s JOIN penguins p USING (island)\n"
     "WHERE s.since > TIMESTAMP '2008-01-01 00:00:00'"),
]


def write_sql_seeds(out):
    os.makedirs(out, exist_ok=True)
    for old in glob.glob(os.path.join(out, "*.sql")):
        os.remove(old)
    for i, (stem, text) in enumerate(SQL_SEEDS):
        with open(os.path.join(out, f"q{i:02}_{stem}.sql"), "w", newline="") as f:
            f.write(text)


def write_log_seeds(out, count=12, length=700):
    os.makedirs(out, exist_ok=True)
    for old in glob.glob(os.path.join(out, "*.script")):
        os.remove(old)
    state = 0x9E3779B97F4A7C15  # xorshift64, fixed: the seeds are the same on every run
    for i in range(count):
        data = bytearray()
        for _ in range(length):
            state ^= (state << 13) & 0xFFFFFFFFFFFFFFFF
            state ^= state >> 7
            state ^= (state << 17) & 0xFFFFFFFFFFFFFFFF
            data.append(state & 0xFF)
        data[0] = data[0] % 64 if i % 2 == 0 else 64 + data[0] % 192
        kind = "faithful" if i % 2 == 0 else "faulty"
        with open(os.path.join(out, f"{i:02}_{kind}.script"), "wb") as f:
            f.write(bytes(data))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    write_sql_seeds(os.path.join(here, "seeds_sql"))
    write_log_seeds(os.path.join(here, "seeds_log"))
    out = os.path.join(here, "seeds")
    os.makedirs(out, exist_ok=True)
    # An open segment: three records, then preallocated zeros.
    seg = segment_header(0, 1)
    for seq, body in [(1, b"hello"), (2, b""), (3, bytes(range(40)))]:
        seg += record(0x100, seq, body)
    with open(os.path.join(out, "open.seg"), "wb") as f:
        f.write(seg + bytes(64))
    # A sealed segment (segment 1, base 4): two records and a seal.
    seg = segment_header(1, 4, prev_seal_offset=300)
    seg += record(0x100, 4, b"a") + record(0x101, 5, b"bc")
    seg += seal(1, 4, 6, len(seg))
    with open(os.path.join(out, "sealed.seg"), "wb") as f:
        f.write(seg + bytes(32))
    # A torn tail: one record, then the first 20 bytes of the next.
    seg = segment_header(0, 1) + record(0x100, 1, b"x" * 16)
    with open(os.path.join(out, "torn.seg"), "wb") as f:
        f.write(seg + record(0x100, 2, b"y" * 16)[:20] + bytes(16))


if __name__ == "__main__":
    main()
