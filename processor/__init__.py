"""Pod-side worker loop and the analysis pipeline (decode, pose, body model, angles, standards, report)."""
