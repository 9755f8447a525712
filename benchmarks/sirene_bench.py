"""SIRENE import: peak memory (RSS) and speed at 10^5 and 10^6 rows of the real format.

Generates establishment stock files with the real column names (53 columns, as
``StockEtablissement_utf8.csv``): about 70 % active, 8 % with an industrial NAF code of
the NAF -> process table, communes drawn from the whole country. Each measure runs
in a fresh subprocess (``resource.getrusage`` peak RSS of that process only):

- ``check``: the validating pass over the whole file, no filter (constant memory:
  nothing is kept);
- ``import --departement 25 --naf 25.62``: an analyst's typical import (tens of
  suppliers kept);
- ``import --region FR-BFC``: both passes, thousands of suppliers written to a new
  embedded store in chunks (that store holds its graph in memory, so the peak grows
  with what is written, not with the size of the file).

Run: ``.venv/bin/python benchmarks/sirene_bench.py [--rows 100000 1000000]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = [
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "anneeEffectifsEtablissement",
    "activitePrincipaleRegistreMetiersEtablissement",
    "dateDernierTraitementEtablissement",
    "etablissementSiege",
    "nombrePeriodesEtablissement",
    "complementAdresseEtablissement",
    "numeroVoieEtablissement",
    "indiceRepetitionEtablissement",
    "dernierNumeroVoieEtablissement",
    "indiceRepetitionDernierNumeroVoieEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "libelleCommuneEtrangerEtablissement",
    "distributionSpecialeEtablissement",
    "codeCommuneEtablissement",
    "codeCedexEtablissement",
    "libelleCedexEtablissement",
    "codePaysEtrangerEtablissement",
    "libellePaysEtrangerEtablissement",
    "identifiantAdresseEtablissement",
    "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement",
    "complementAdresse2Etablissement",
    "numeroVoie2Etablissement",
    "indiceRepetition2Etablissement",
    "typeVoie2Etablissement",
    "libelleVoie2Etablissement",
    "codePostal2Etablissement",
    "libelleCommune2Etablissement",
    "libelleCommuneEtranger2Etablissement",
    "distributionSpeciale2Etablissement",
    "codeCommune2Etablissement",
    "codeCedex2Etablissement",
    "libelleCedex2Etablissement",
    "codePaysEtranger2Etablissement",
    "libellePaysEtranger2Etablissement",
    "dateDebut",
    "etatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
]

INDUSTRIAL = ["24.51Z", "24.53Z", "25.50A", "25.61Z", "25.62A", "25.62B", "26.11Z", "27.11Z"]
OTHER = ["47.11F", "56.10A", "68.20B", "70.10Z", "86.21Z", "43.21A", "62.01Z", "10.71C"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A stock file of ``rows`` establishments in the real format."""
    from filiere.sources.geo import communes

    rng = random.Random(seed)
    codes = sorted(communes())
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        blank = [""] * len(HEADER)
        ix = {h: i for i, h in enumerate(HEADER)}
        for n in range(rows):
            siren = f"{100000000 + n:09d}"
            row = list(blank)
            commune = rng.choice(codes)
            naf = rng.choice(INDUSTRIAL) if rng.random() < 0.08 else rng.choice(OTHER)
            values = {
                "siren": siren,
                "nic": "00017",
                "siret": f"{siren}00017",
                "statutDiffusionEtablissement": "O",
                "dateCreationEtablissement": "2005-06-01",
                "trancheEffectifsEtablissement": rng.choice(["NN", "01", "12", "21"]),
                "etablissementSiege": "true",
                "nombrePeriodesEtablissement": "2",
                "numeroVoieEtablissement": str(rng.randint(1, 200)),
                "typeVoieEtablissement": "RUE",
                "libelleVoieEtablissement": "DE L INDUSTRIE",
                "codePostalEtablissement": "25200",
                "libelleCommuneEtablissement": "COMMUNE",
                "codeCommuneEtablissement": commune,
                "dateDebut": "2015-01-01",
                "etatAdministratifEtablissement": "A" if rng.random() < 0.7 else "F",
                "denominationUsuelleEtablissement": f"ETABLISSEMENT {n}",
                "activitePrincipaleEtablissement": naf,
                "nomenclatureActivitePrincipaleEtablissement": "NAFRev2",
                "caractereEmployeurEtablissement": "O",
            }
            for k, v in values.items():
                row[ix[k]] = v
            w.writerow(row)


CHILD = """
import json, resource, sys, time
from pathlib import Path
from filiere.graph.embedded import EmbeddedStore
from filiere.sources.sirene import import_sirene
path, store_path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
store = EmbeddedStore(store_path)
t = time.perf_counter()
if mode == "check":
    r = import_sirene(path, store, check_only=True, progress=False)
elif mode == "departement":
    r = import_sirene(path, store, departements=["25"], naf=["25.62"], progress=False)
else:
    r = import_sirene(path, store, regions=["FR-BFC"], progress=False)
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak / 1024, **r.counts}))
"""


MODES = {
    "check": "check (no filter)",
    "departement": "import --departement 25 --naf 25.62",
    "region": "import --region FR-BFC",
}


def measure(path: Path, mode: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), str(Path(d) / "g.json"), mode],
            check=True,
            capture_output=True,
            text=True,
        )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def baseline() -> float:
    code = (
        "import resource, filiere.sources.sirene, filiere.graph.embedded;"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    print(f"python + filiere imported: peak RSS {baseline():.0f} MB")
    print("| rows | file MB | mode | kept | seconds | rows/s | peak RSS MB |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as d:
        for rows in args.rows:
            path = Path(d) / f"StockEtablissement_{rows}.csv"
            t = time.perf_counter()
            generate(path, rows)
            gen = time.perf_counter() - t
            size = path.stat().st_size / 1e6
            for mode, label in MODES.items():
                r = measure(path, mode)
                print(
                    f"| {rows:,} | {size:.0f} | {label} | {int(r['kept']):,} | "
                    f"{r['seconds']:.1f} | {rows / r['seconds']:,.0f} | {r['peak_rss_mb']:.0f} |",
                    flush=True,
                )
            print(f"(generated in {gen:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
