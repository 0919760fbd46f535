"""The original AWS sample's data path, as the ETL benchmark's baseline (python3 standard library only).

Extract each <project>.sqlite3.bz2 from the zip, bz2-decompress it to a file, query the bugs with sqlite3,
write label,text rows with csv.writer. Usage: python3 etl-baseline.py <zip> <out.csv> <work dir>
"""

import bz2
import csv
import os
import shutil
import sqlite3
import sys
import zipfile


def main(zip_path: str, out_path: str, work_dir: str) -> None:
    rows = 0
    with zipfile.ZipFile(zip_path) as archive, open(out_path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        for name in archive.namelist():
            if not name.endswith(".sqlite3.bz2"):
                continue
            label = os.path.basename(name).split(".")[0].upper()
            compressed = archive.extract(name, work_dir)
            database = compressed[: -len(".bz2")]
            with bz2.open(compressed, "rb") as source, open(database, "wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
            os.remove(compressed)
            connection = sqlite3.connect(database)
            query = "select summary || ' ' || description from issue where type = 'Bug'"
            for (text,) in connection.execute(query):
                if text is not None:
                    writer.writerow([label, text])
                    rows += 1
            connection.close()
            os.remove(database)
    print(rows)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
