"""The fitted numbers the answering core runs on, read once from `calibration.json`.

`bench/calibrate.py` fits them on the eval set: how sentences are scored and selected, and the
coverage model that decides between an answer and a refusal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.answering.coverage import CoverageModel
from bot.answering.scoring import Weights

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Calibration:
    weights: Weights = Weights()
    selection: dict[str, float] = field(default_factory=dict)  # extractive.select's settings
    coverage: CoverageModel = CoverageModel()

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        """The fitted calibration when its file exists, else the defaults."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        cov = data["coverage"]
        return cls(
            Weights(**data.get("sentence_weights", {})),
            dict(data.get("select", {})),
            CoverageModel(dict(cov["weights"]), float(cov["bias"]), float(cov["threshold"])),
        )
