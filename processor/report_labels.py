"""Report wording in English and Czech: one small table, looked up with ``label(lang, key)``."""

from __future__ import annotations

import re

LABELS: dict[str, dict[str, str]] = {
    "en": {
        # sheets
        "sheet_summary": "Summary", "sheet_zones": "Zones", "sheet_holds": "Holds",
        "sheet_angles": "Per-frame angles", "sheet_charts": "Charts", "sheet_method": "Method",
        "sheet_chart_data": "Chart data",
        # summary
        "title": "Ergonomic posture report", "video": "Video", "analysed_on": "Analysed on (UTC)",
        "duration_s": "Duration (s)", "analysed_share": "Analysed share of the video",
        "person_found": "Person found", "standard": "Standard", "shift_hours": "Shift length (h)",
        "angle_source": "Angle source", "overall": "Overall", "yes": "yes", "no": "no",
        "body_part": "Body part", "verdict": "Verdict", "cond_min": "Conditionally acceptable (min/shift)",
        "unacc_min": "Unacceptable (min/shift)", "reasons": "Reasons",
        "level_share_title": "Share of analysed time per level",
        "not_analysed": "Not analysed",
        "no_person": "No person was found in the video, so no posture could be assessed.",
        "notes": "Notes",
        "truncated": "Only {decoded:.1f} s of the video's {duration:.1f} s could be decoded; the file may be truncated or damaged.",
        "no_frames": "No frame could be analysed.",
        # zones / holds
        "zone": "Zone", "range": "Range", "level": "Level", "table_level": "Level in the table",
        "time_s": "Time (s)", "share": "Share of analysed time", "shift_min": "Minutes per shift (extrapolated)",
        "episodes": "Episodes", "longest_hold_s": "Longest hold (s)", "holds_over": "Holds over the limit",
        "frequency": "Movements into the zone per minute", "start_s": "Start (s)", "end_s": "End (s)",
        "hold_s": "Duration (s)", "median_angle": "Median angle (°)", "limit_s": "Limit (s)",
        "over_limit": "Over the limit", "static": "Static (held)", "no_holds": "No holds to list.",
        "angle_deg": "Angle (°)", "time_axis": "Time (s)", "chart_angle": "{part}: angle over time",
        "chart_levels": "Share of analysed time per level",
        # method
        "method_software": "Software", "method_settings": "Settings", "method_standard": "Standard and source",
        "method_angles": "Angles", "method_limits": "Limitations", "method_not_assessed": "Not assessed from video",
        "method_parts": "Body parts", "quality": "Quality preset", "lang": "Language",
        "camera_pitch": "Camera pitch override (°)", "body_model": "Body model", "source": "Source",
        "source_url": "Link", "fit_residual": "Body-model fit residual",
        "extrapolation": "Extrapolation",
        "extrapolation_text": "The video is treated as a sample of the shift: each zone's share of the analysed time is "
                              "scaled to the shift length and compared with the standard's per-shift limits.",
        "nan_text": "Frames where a body part could not be measured are left empty and counted as not analysed, never as neutral; "
                    "an arm counts as measured only where both its shoulder and its elbow are seen; the head is left empty "
                    "where the neck reads beyond its anatomical range ({neck_limit:g}° either way).",
        "limit_mono": "Angles come from a single camera; postures seen end-on (e.g. trunk twist, arm elevation toward the camera) are less accurate.",
        "limit_support": "Support of the trunk, head or arms and the forces exerted are not visible on video and are not assessed.",
        "limit_vertical": "The vertical is estimated from the video unless a camera pitch is given; a moving or tilted camera adds error.",
        "limit_sample": "The extrapolation assumes the video represents the whole shift.",
        "limit_neck": "Neck flexion and head inclination are measured on the ear–shoulder line, which leans forward by "
                      "roughly 10–15° in an upright posture on pose-estimation landmarks; borderline neck results "
                      "should be checked on the video.",
        # levels and verdicts
        "acceptable": "acceptable", "conditional": "conditionally acceptable", "unacceptable": "unacceptable",
        "conditionally_acceptable": "conditionally acceptable", "not_assessed": "not assessed",
        # parts
        "part_trunk": "Trunk (forward bend)", "part_trunk_side": "Trunk (side bend)",
        "part_trunk_twist": "Trunk (twist)", "part_head": "Head (inclination)", "part_neck": "Neck (flexion)",
        "part_upper_arm_left": "Left upper arm (elevation)", "part_upper_arm_right": "Right upper arm (elevation)",
        # zones
        "zone_neutral": "neutral", "zone_moderate": "moderate", "zone_severe": "severe",
        "zone_extension": "backward", "zone_bent": "bent", "zone_twisted": "twisted", "zone_flexed": "flexed",
        "zone_behind": "behind the body",
        # reasons
        "reason_hold_over_limit": "{count} hold(s) in the {zone} zone longer than allowed",
        "reason_unacceptable_present": "{minutes:.0f} min/shift in unacceptable postures (allowed {limit:.0f})",
        "reason_unacceptable_over_limit": "{minutes:.0f} min/shift in unacceptable postures (allowed {limit:.0f})",
        "reason_conditional_present": "{minutes:.0f} min/shift in conditionally acceptable postures",
        "reason_conditional_over_limit": "{minutes:.0f} min/shift in conditionally acceptable postures (allowed {limit:.0f})",
        "reason_combined_over_limit": "{minutes:.0f} min/shift in non-neutral postures (allowed {limit:.0f})",
        "reason_not_analysed": "not measured in the video",
        "reason_part": "{part}",
    },
    "cs": {
        "sheet_summary": "Souhrn", "sheet_zones": "Pásma", "sheet_holds": "Výdrže",
        "sheet_angles": "Úhly po snímcích", "sheet_charts": "Grafy", "sheet_method": "Metodika",
        "sheet_chart_data": "Data grafů",
        "title": "Ergonomické hodnocení pracovních poloh", "video": "Video", "analysed_on": "Datum analýzy (UTC)",
        "duration_s": "Délka (s)", "analysed_share": "Podíl videa, který byl vyhodnocen",
        "person_found": "Nalezena osoba", "standard": "Předpis / norma", "shift_hours": "Délka směny (h)",
        "angle_source": "Zdroj úhlů", "overall": "Celkově", "yes": "ano", "no": "ne",
        "body_part": "Část těla", "verdict": "Hodnocení", "cond_min": "Podmíněně přijatelné (min/směnu)",
        "unacc_min": "Nepřijatelné (min/směnu)", "reasons": "Důvody",
        "level_share_title": "Podíl vyhodnoceného času podle hodnocení",
        "not_analysed": "Nevyhodnoceno",
        "no_person": "Ve videu nebyla nalezena žádná osoba, pracovní polohy proto nelze posoudit.",
        "notes": "Poznámky",
        "truncated": "Z videa dlouhého {duration:.1f} s se podařilo dekódovat jen {decoded:.1f} s; soubor je možná useknutý nebo poškozený.",
        "no_frames": "Nepodařilo se vyhodnotit žádný snímek.",
        "zone": "Pásmo", "range": "Rozsah", "level": "Hodnocení", "table_level": "Hodnocení v tabulce",
        "time_s": "Čas (s)", "share": "Podíl vyhodnoceného času", "shift_min": "Minut za směnu (přepočet)",
        "episodes": "Počet výskytů", "longest_hold_s": "Nejdelší výdrž (s)", "holds_over": "Výdrže nad limit",
        "frequency": "Pohybů do pásma za minutu", "start_s": "Začátek (s)", "end_s": "Konec (s)",
        "hold_s": "Trvání (s)", "median_angle": "Medián úhlu (°)", "limit_s": "Limit (s)",
        "over_limit": "Nad limit", "static": "Statická (výdrž)", "no_holds": "Žádné výdrže k vypsání.",
        "angle_deg": "Úhel (°)", "time_axis": "Čas (s)", "chart_angle": "{part}: úhel v čase",
        "chart_levels": "Podíl vyhodnoceného času podle hodnocení",
        "method_software": "Software", "method_settings": "Nastavení", "method_standard": "Předpis a zdroj",
        "method_angles": "Úhly", "method_limits": "Omezení", "method_not_assessed": "Z videa nehodnoceno",
        "method_parts": "Části těla", "quality": "Kvalita zpracování", "lang": "Jazyk",
        "camera_pitch": "Zadaný sklon kamery (°)", "body_model": "Model těla", "source": "Zdroj",
        "source_url": "Odkaz", "fit_residual": "Reziduum fitu modelu těla",
        "extrapolation": "Přepočet na směnu",
        "extrapolation_text": "Video se bere jako vzorek směny: podíl každého pásma na vyhodnoceném čase se přepočte "
                              "na délku směny a porovná s limity předpisu za směnu.",
        "nan_text": "Snímky, na kterých část těla nešlo změřit, zůstávají prázdné a počítají se jako nevyhodnocené, nikdy jako neutrální; "
                    "paže se počítá jako změřená jen tam, kde je vidět rameno i loket; hlava zůstává prázdná tam, kde krk "
                    "vychází mimo svůj anatomický rozsah ({neck_limit:g}° na obě strany).",
        "limit_mono": "Úhly pocházejí z jedné kamery; polohy ve směru osy kamery (např. rotace trupu, zvednutí paže ke kameře) jsou méně přesné.",
        "limit_support": "Opora trupu, hlavy či paží a vynakládaná síla nejsou na videu spolehlivě vidět a nehodnotí se.",
        "limit_vertical": "Svislice se odhaduje z videa, pokud není zadán sklon kamery; pohyblivá nebo nakloněná kamera přidává chybu.",
        "limit_sample": "Přepočet předpokládá, že video je reprezentativní pro celou směnu.",
        "limit_neck": "Předklon krku a sklon hlavy se měří na spojnici ucho–rameno, která je u bodů odhadu pózy "
                      "i ve vzpřímeném postoji skloněná dopředu zhruba o 10–15°; hraniční výsledky krku ověřte na videu.",
        "acceptable": "přijatelná", "conditional": "podmíněně přijatelná", "unacceptable": "nepřijatelná",
        "conditionally_acceptable": "podmíněně přijatelná", "not_assessed": "nehodnoceno",
        "part_trunk": "Trup (předklon)", "part_trunk_side": "Trup (úklon)", "part_trunk_twist": "Trup (rotace)",
        "part_head": "Hlava (sklon)", "part_neck": "Krk (předklon)",
        "part_upper_arm_left": "Levá paže (zvednutí)", "part_upper_arm_right": "Pravá paže (zvednutí)",
        "zone_neutral": "neutrální", "zone_moderate": "střední", "zone_severe": "velký",
        "zone_extension": "záklon", "zone_bent": "úklon", "zone_twisted": "rotace", "zone_flexed": "předklon",
        "zone_behind": "za tělem",
        "reason_hold_over_limit": "{count}× výdrž v pásmu {zone} delší, než je přípustné",
        "reason_unacceptable_present": "{minutes:.0f} min/směnu v nepřijatelných polohách (přípustné {limit:.0f})",
        "reason_unacceptable_over_limit": "{minutes:.0f} min/směnu v nepřijatelných polohách (přípustné {limit:.0f})",
        "reason_conditional_present": "{minutes:.0f} min/směnu v podmíněně přijatelných polohách",
        "reason_conditional_over_limit": "{minutes:.0f} min/směnu v podmíněně přijatelných polohách (přípustné {limit:.0f})",
        "reason_combined_over_limit": "{minutes:.0f} min/směnu v jiných než neutrálních polohách (přípustné {limit:.0f})",
        "reason_not_analysed": "ve videu nezměřeno",
        "reason_part": "{part}",
    },
}


def label(lang: str, key: str, **params) -> str:
    """The text for ``key`` in ``lang`` (English when missing), formatted with ``params``."""
    table = LABELS.get(lang, LABELS["en"])
    text = table.get(key) or LABELS["en"].get(key) or key
    return text.format(**params) if params else text


def part_label(lang: str, key: str) -> str:
    return label(lang, f"part_{key}") if f"part_{key}" in LABELS["en"] else key


def zone_label(lang: str, key: str) -> str:
    return label(lang, f"zone_{key}") if f"zone_{key}" in LABELS["en"] else key


def reason_text(lang: str, reason) -> str:
    params = dict(reason.params)
    if reason.code == "withheld":  # too little or too holey data (processor.sufficiency): its own sentence
        return params["withheld"].text(lang)
    if "zone" in params:
        params["zone"] = zone_label(lang, params["zone"])
    if "part" in params:
        params["part"] = part_label(lang, params["part"])
    return label(lang, f"reason_{reason.code}", **params)


# The NV 361 catalogue report (processor.report_catalogue) and the position workbook.
LABELS["en"].update({
    "no_category": "none (too little data, see below)",
    "sheet_catalogue": "Catalogue NV 361", "sheet_episodes": "Episodes",
    "title_catalogue": "Working postures — NV 361/2007 Sb., Annex 5 part C",
    "analysed_s": "Analysed time (s)", "measured_share_part": "Share of the video measured: {part}",
    "supported_marks": "Marked as supported", "none": "none",
    "work_minutes": "Work time (min) — enter yours", "work_source": "Work time from",
    "work_source_default": "default (no time study): 480 min; change the yellow cell, minutes and categories recalculate",
    "work_source_setting": "the setting analysis.work_minutes", "work_source_time_study": "the time study",
    "coefficient": "Table 8 coefficient", "category": "Proposed category", "assessment": "Overall assessment",
    "assessment_for": "(for a work time of {minutes:.0f} min)",
    "rows_occurred": "Catalogue rows that occurred (protocol section 3)", "no_rows_occurred": "No catalogue posture occurred.",
    "row_id": "Row", "legal_text": "Legal text (NV 361/2007)", "text_en": "English", "class": "N/PP",
    "work": "Static/dynamic", "freq": "Frequency", "status": "Assessment", "seconds": "Time in the posture (s)",
    "measured_s": "Body part measured (s)", "longest_s": "Longest episode (s)", "minutes": "Minutes per shift",
    "limit1": "Category 1 up to (min)", "limit2": "Category 2 up to (min)", "part": "Body part",
    "status_measured": "measured", "status_not_from_video": "not assessed from the video",
    "status_not_measured": "not measured in this video", "status_not_applicable": "does not apply (the video is marked as supported)",
    "status_needs_support": "only for videos marked as supported",
    "static_w": "static", "dynamic_w": "dynamic",
    "signal": "Measured quantity", "zone": "Zone", "start_s": "Start (s)", "end_s": "End (s)",
    "duration_ep": "Duration (s)", "per_min": "Movements into the zone per minute", "low": "Lowest value",
    "high": "Highest value", "no_row": "no catalogue row", "no_episodes": "No episodes.",
    "method_episodes": "How postures become episodes and minutes", "method_signals": "Measured quantities and thresholds",
    "summary_rule": "Summary rule of the regulation (for information)",
    "summary_rule_text": "PP rows together {pp:.0f} min (limit {pp_lim:.0f}), N rows together {n:.0f} min (limit {n_lim:.0f}), both at most half of the work time ({half:.0f} min).",
    "table8_out": "The work time is below 240 min, where table 8 has no row; its first coefficient (0.800) is used.",
    "sig_trunk_flexion": "Trunk flexion", "sig_trunk_bend_twist": "Trunk side bend / twist",
    "sig_head_flexion": "Head inclination", "sig_head_bend_rot": "Head side bend / rotation",
    "sig_arm_R": "Right upper arm", "sig_arm_L": "Left upper arm", "sig_knee_flexion": "Knee flexion",
    "sig_low_posture": "Kneeling / squatting / lying",
    "cpart_trunk": "Trunk", "cpart_head_neck": "Head and neck", "cpart_arm_right": "Right upper limb",
    "cpart_arm_left": "Left upper limb", "cpart_legs": "Lower limbs", "cpart_other": "Other",
    "mpart_trunk": "trunk", "mpart_neck": "head and neck", "mpart_arm_left": "left arm", "mpart_arm_right": "right arm",
    "mpart_legs": "legs",
    "zone_ext": "extension / behind", "zone_40_60": "40–60°", "zone_gt60": "> 60°", "zone_10_20": "10–20°",
    "zone_gt20": "> 20°", "zone_gt25": "> 25°", "zone_le15": "up to 15°", "zone_gt15": "> 15°",
    "zone_gt130": "> 130°", "zone_low": "kneeling / squatting / lying", "zone_none": "none",
    "category_1": "category 1", "category_2": "category 2", "category_3": "category 3",
    "uncertainty": "Minutes within the uncertainty", "borderline": "Borderline",
    "borderline_text": "category {lo}–{hi} within the measurement uncertainty (for {work:.0f} min); check on the video",
    "method_accuracy": "Measurement uncertainty", "view_seen": "Camera view of the person (most of the video)",
    "legs_hidden_seen": "Legs hidden (bench, machine)",
    "legs_hidden_value": "{share:.0%} of the frames with a measured trunk; there the hips are guessed: trunk ± {trunk:g}°, "
                         "head ± {head:g}°, upper arms ± {arm:g}° (bodyA_bench, processor/accuracy.py)",
    "view_front": "in front (0–30°)", "view_oblique": "oblique (30–70°)", "view_side": "from the side (70–110°)",
    "view_rear_oblique": "oblique from behind (110–150°)", "view_rear": "from behind (150–180°)",
    "view_unknown": "unknown",
    "uncertainty_text": "Typical errors (mean absolute error against the truth on rendered people, this view; "
                        "processor/accuracy.py). Each row's minutes are recomputed with every angle moved by its "
                        "typical error down and up; where the body part was measured for only part of the analysed "
                        "time, the unmeasured time is counted as none and then all in the row's posture. A row whose "
                        "range crosses a category limit is marked borderline.",
})
LABELS["cs"].update({
    "no_category": "žádná (málo dat, viz níže)",
    "sheet_catalogue": "Katalog NV 361", "sheet_episodes": "Epizody",
    "title_catalogue": "Pracovní polohy — NV č. 361/2007 Sb., příloha č. 5 část C",
    "analysed_s": "Vyhodnocený čas (s)", "measured_share_part": "Podíl videa se změřenou částí těla: {part}",
    "supported_marks": "Označená opora", "none": "žádná",
    "work_minutes": "Doba výkonu práce (min) — zadejte svou", "work_source": "Doba výkonu práce podle",
    "work_source_default": "výchozí hodnoty (bez časového snímku): 480 min; změňte žlutou buňku, minuty a kategorie se přepočítají",
    "work_source_setting": "nastavení analysis.work_minutes", "work_source_time_study": "časového snímku",
    "coefficient": "Koeficient podle tabulky č. 8", "category": "Navržená kategorie", "assessment": "Celkové hodnocení",
    "assessment_for": "(pro dobu výkonu práce {minutes:.0f} min)",
    "rows_occurred": "Zaznamenaný výskyt pracovních poloh (oddíl 3 protokolu)", "no_rows_occurred": "Žádná poloha z katalogu se nevyskytla.",
    "row_id": "Položka", "legal_text": "Znění (NV č. 361/2007 Sb.)", "text_en": "Anglicky", "class": "N/PP",
    "work": "Statická/dynamická", "freq": "Frekvence", "status": "Posouzení", "seconds": "Čas v poloze (s)",
    "measured_s": "Část těla změřena (s)", "longest_s": "Nejdelší epizoda (s)", "minutes": "Minut za směnu",
    "limit1": "Kategorie 1 do (min)", "limit2": "Kategorie 2 do (min)", "part": "Část těla",
    "status_measured": "změřeno", "status_not_from_video": "z videa nehodnoceno",
    "status_not_measured": "v tomto videu nezměřeno", "status_not_applicable": "neuplatňuje se (video označeno s oporou)",
    "status_needs_support": "jen pro videa označená s oporou",
    "static_w": "statická", "dynamic_w": "dynamická",
    "signal": "Měřená veličina", "zone": "Pásmo", "start_s": "Začátek (s)", "end_s": "Konec (s)",
    "duration_ep": "Trvání (s)", "per_min": "Pohybů do pásma za minutu", "low": "Nejnižší hodnota",
    "high": "Nejvyšší hodnota", "no_row": "bez položky katalogu", "no_episodes": "Žádné epizody.",
    "method_episodes": "Jak se z úhlů stanou epizody a minuty", "method_signals": "Měřené veličiny a prahy",
    "summary_rule": "Souhrnné pravidlo předpisu (pro informaci)",
    "summary_rule_text": "Položky PP celkem {pp:.0f} min (limit {pp_lim:.0f}), položky N celkem {n:.0f} min (limit {n_lim:.0f}), obojí nejvýše polovina doby výkonu práce ({half:.0f} min).",
    "table8_out": "Doba výkonu práce je kratší než 240 min, pro kterou tabulka č. 8 nemá řádek; použit je její první koeficient (0,800).",
    "sig_trunk_flexion": "Předklon trupu", "sig_trunk_bend_twist": "Úklon / rotace trupu",
    "sig_head_flexion": "Sklon hlavy", "sig_head_bend_rot": "Úklon / rotace hlavy",
    "sig_arm_R": "Pravá paže", "sig_arm_L": "Levá paže", "sig_knee_flexion": "Flexe kolena",
    "sig_low_posture": "Klek / dřep / leh",
    "cpart_trunk": "Trup", "cpart_head_neck": "Hlava a krk", "cpart_arm_right": "Pravá horní končetina",
    "cpart_arm_left": "Levá horní končetina", "cpart_legs": "Dolní končetiny", "cpart_other": "Ostatní",
    "mpart_trunk": "trup", "mpart_neck": "hlava a krk", "mpart_arm_left": "levá paže", "mpart_arm_right": "pravá paže",
    "mpart_legs": "dolní končetiny",
    "zone_ext": "záklon / zapažení", "zone_40_60": "40–60°", "zone_gt60": "> 60°", "zone_10_20": "10–20°",
    "zone_gt20": "> 20°", "zone_gt25": "> 25°", "zone_le15": "do 15°", "zone_gt15": "> 15°",
    "zone_gt130": "> 130°", "zone_low": "klek / dřep / leh", "zone_none": "žádné",
    "category_1": "kategorie 1", "category_2": "kategorie 2", "category_3": "kategorie 3",
    "uncertainty": "Minuty v rámci nejistoty", "borderline": "Hraniční",
    "borderline_text": "kategorie {lo}–{hi} v rámci nejistoty měření (pro {work:.0f} min); ověřte na videu",
    "method_accuracy": "Nejistota měření", "view_seen": "Pohled kamery na osobu (většinu videa)",
    "legs_hidden_seen": "Zakryté nohy (stůl, stroj)",
    "legs_hidden_value": "{share:.0%} snímků se změřeným trupem; kyčle jsou tam odhadnuté: trup ± {trunk:g}°, "
                         "hlava ± {head:g}°, paže ± {arm:g}° (bodyA_bench, processor/accuracy.py)",
    "view_front": "zepředu (0–30°)", "view_oblique": "šikmo (30–70°)", "view_side": "z boku (70–110°)",
    "view_rear_oblique": "šikmo zezadu (110–150°)", "view_rear": "zezadu (150–180°)",
    "view_unknown": "neznámý",
    "uncertainty_text": "Typické chyby (průměrná absolutní chyba proti skutečnosti na renderovaných postavách, tento pohled; "
                        "processor/accuracy.py). Minuty každé položky se přepočtou se všemi úhly posunutými o typickou chybu "
                        "dolů i nahoru; kde byla část těla změřena jen po část vyhodnocené doby, počítá se neměřená doba "
                        "jednou jako mimo polohu položky a jednou celá v ní. Položka, jejíž rozsah překročí hranici "
                        "kategorie, je označena jako hraniční.",
})


# Issue 17: printable summary, protocol metadata, keyframes, column headers for people, the position
# workbook's wording (``pos_*``) and everything the Method sheets show.
ANGLE_HEADERS = {
    "en": {
        "time_s": "Time (s)", "trunk_flexion_deg": "Trunk flexion (°)", "trunk_side_bend_deg": "Trunk side bend (°)",
        "trunk_twist_deg": "Trunk twist (°)", "neck_flexion_deg": "Neck flexion (°)",
        "head_inclination_deg": "Head inclination (°)", "upper_arm_elevation_left_deg": "Left upper-arm elevation (°)",
        "upper_arm_elevation_right_deg": "Right upper-arm elevation (°)",
        "upper_arm_to_trunk_left_deg": "Left upper arm to trunk (°)", "upper_arm_to_trunk_right_deg": "Right upper arm to trunk (°)",
        "elbow_flexion_left_deg": "Left elbow flexion (°)", "elbow_flexion_right_deg": "Right elbow flexion (°)",
        "knee_flexion_left_deg": "Left knee flexion (°)", "knee_flexion_right_deg": "Right knee flexion (°)",
        "head_side_bend_deg": "Head side bend (°)", "head_rotation_deg": "Head rotation (°)",
        "upper_arm_extension_left_deg": "Left arm behind the trunk (°)",
        "upper_arm_extension_right_deg": "Right arm behind the trunk (°)",
        "hip_height_ratio": "Hip height (leg lengths)", "knee_height_ratio": "Knee height (leg lengths)",
        "camera_azimuth_deg": "Camera direction to the person (°)", "confidence_trunk": "Confidence: trunk",
        "confidence_neck": "Confidence: neck", "confidence_arm_left": "Confidence: left arm",
        "confidence_arm_right": "Confidence: right arm", "confidence_legs": "Confidence: legs",
    },
    "cs": {
        "time_s": "Čas (s)", "trunk_flexion_deg": "Předklon trupu (°)", "trunk_side_bend_deg": "Úklon trupu (°)",
        "trunk_twist_deg": "Rotace trupu (°)", "neck_flexion_deg": "Předklon krku (°)",
        "head_inclination_deg": "Sklon hlavy (°)", "upper_arm_elevation_left_deg": "Zvednutí levé paže (°)",
        "upper_arm_elevation_right_deg": "Zvednutí pravé paže (°)",
        "upper_arm_to_trunk_left_deg": "Levá paže vůči trupu (°)", "upper_arm_to_trunk_right_deg": "Pravá paže vůči trupu (°)",
        "elbow_flexion_left_deg": "Flexe levého lokte (°)", "elbow_flexion_right_deg": "Flexe pravého lokte (°)",
        "knee_flexion_left_deg": "Flexe levého kolena (°)", "knee_flexion_right_deg": "Flexe pravého kolena (°)",
        "head_side_bend_deg": "Úklon hlavy (°)", "head_rotation_deg": "Rotace hlavy (°)",
        "upper_arm_extension_left_deg": "Zapažení levé paže (°)", "upper_arm_extension_right_deg": "Zapažení pravé paže (°)",
        "hip_height_ratio": "Výška kyčlí (délky nohy)", "knee_height_ratio": "Výška kolen (délky nohy)",
        "camera_azimuth_deg": "Směr kamery k osobě (°)", "confidence_trunk": "Spolehlivost: trup",
        "confidence_neck": "Spolehlivost: krk", "confidence_arm_left": "Spolehlivost: levá paže",
        "confidence_arm_right": "Spolehlivost: pravá paže", "confidence_legs": "Spolehlivost: dolní končetiny",
    },
}
for _lang, _table in ANGLE_HEADERS.items():
    LABELS[_lang].update({f"col_{k}": v for k, v in _table.items()})

LABELS["en"].update({
    "sheet_keyframes": "Keyframes",
    "footer_page": "Page &P of &N", "printed_hint": "Raw data: not printed (see the CSV for all values).",
    # the one-page summary
    "summary_standard": "Assessed under", "meta_block": "Protocol data", "meta_company": "Company",
    "meta_ico": "Company ID (IČO)", "meta_position": "Position", "meta_workplace": "Workplace",
    "meta_workers": "Worker (initials)", "meta_date": "Measurement date", "meta_measured_by": "Measured by",
    "meta_camera": "Camera position", "meta_time_study": "Time study (file)",
    "meta_from_study": "from the time study {name}", "measurement_block": "Video and measurement",
    "measured_parts": "Share of the video measured",
    "result_block": "Result", "uncertainty_block": "Measurement uncertainty",
    "uncertainty_statement": "Angles from one video camera, seen {view}. Typical errors in this view: trunk ± {trunk:g}°, "
                             "head ± {head:g}°, upper arms ± {arm:g}° (processor/accuracy.py, against rendered people of "
                             "known posture). Minutes per shift are extrapolated from {seconds:.0f} s of analysed video to "
                             "the work time; rows marked borderline could fall in another category within these errors.",
    "uncertainty_film_side": "Filmed from the side (70–110°) the trunk's typical error is ± {side:g}°: where trunk "
                             "postures decide the category, film from the side.",
    "uncertainty_legs_hidden": "The legs were hidden (a bench, a machine) on {share:.0%} of the measured time: there the "
                               "hips are guessed and the typical errors are trunk ± {trunk:g}°, head ± {head:g}°, upper "
                               "arms ± {arm:g}°; the borderline marks use them.",
    "signature_block": "Measured and evaluated by", "sig_name": "Name", "sig_date": "Date", "sig_signature": "Signature",
    "col_minutes_shift": "Minutes per shift", "col_category": "Category",
    "borderline_mark": "borderline {lo}–{hi}",
    "camera_view": "{view}, about {height} the person",
    # keyframes
    "keyframes_title": "The worst moment of the rows that set the category (faces blurred)",
    "keyframes_title_1": "The worst moment of the rows that occurred most (faces blurred)",
    "keyframes_title_noblur": "The worst moment of the rows that set the category",
    "keyframe_caption": "{row} — {time}, {quantity} {value}",
    "keyframes_none": "No catalogue posture occurred, so there is no keyframe.",
    "no_blur_note": "Faces are not blurred (setting analysis.blur_faces = false).",
    # charts
    "time_axis_mmss": "Time (min:s)",
    # Method sheet: technical record
    "method_record": "Technical record of the processing (values as the software wrote them)",
    "sigdef_trunk_flexion": "trunk flexion (trunk line against the vertical in the sagittal plane, + forward)",
    "sigdef_trunk_bend_twist": "the larger of |trunk side bend| and |trunk twist|",
    "sigdef_head_flexion": "head inclination (ear–shoulder line against the vertical, + forward)",
    "sigdef_head_bend_rot": "the larger of |head side bend| and |head rotation|, both relative to the trunk",
    "sigdef_arm_R": "right upper-arm elevation against the vertical; 'behind' = behind the trunk by more than 20° while below horizontal",
    "sigdef_arm_L": "left upper-arm elevation against the vertical; 'behind' = behind the trunk by more than 20° while below horizontal",
    "sigdef_knee_flexion": "the larger knee flexion of the two legs (0 = straight)",
    "sigdef_low_posture": "kneeling, squatting or lying, from the hip and knee heights above the ankles in leg lengths",
    "borders": "borders", "typical_error": "Typical error: {name}",
    "meta_pose_quality": "Pose estimation: quality preset", "meta_pose_analysis_fps": "Pose estimation: frames per second",
    "meta_pose_model": "Pose estimation: model", "meta_pose_flip_test": "Pose estimation: mirrored picture",
    "meta_pose_skeleton": "Pose estimation: skeleton", "meta_pose_segments": "Pose estimation: video segments",
    "meta_pose_processes": "Pose estimation: processes", "meta_pose_max_side": "Pose estimation: image size (px)",
    "meta_pose_seconds": "Pose estimation: computing time (s)", "meta_pose_decoded_until_s": "Video decoded until (s)",
    "meta_pose_subject_choice": "Person assessed", "meta_pose_other_person_frames": "Frames with someone else (left empty)",
    "meta_pose_other_person_s": "Times with someone else (left empty)",
    "meta_pose_subject_unlike_frames": "Frames unlike the person (left empty)",
    "meta_pose_subject_recovered_frames": "Frames where the person was found again",
    "meta_pose_short_trunk_frames": "Frames with an impossibly short trunk (tracking)",
    "meta_pose_short_trunk_frames_read_again": "Of those, read again afresh",
    "meta_cleaning_analysed_share": "Share of frames analysed after cleaning",
    "meta_cleaning_neck_out_of_range_frames": "Frames whose neck reading lay beyond the neck's anatomical range (left empty)",
    "meta_angles_vertical_method": "Vertical: method", "meta_angles_vertical_standing_frames": "Vertical: standing frames",
    "meta_angles_vertical_camera_pitch_deg": "Vertical: camera pitch (°)", "meta_angles_trunk_depth_method": "Trunk depth: method",
    "meta_angles_source": "Angles from",
    # the zone-profile Method sheet
    "conditional_max_min": "Conditionally acceptable postures at most (min/shift)",
    "unacceptable_max_min": "Unacceptable postures at most (min/shift)",
    "combined_max_share": "Non-neutral postures at most (share of the shift)",
    "part_column": "measured as",
    "freq_ge2": "≥ 2/min", "freq_lt2": "< 2/min",
})
LABELS["cs"].update({
    "sheet_keyframes": "Klíčové snímky",
    "footer_page": "Strana &P z &N", "printed_hint": "Surová data: netisknou se (všechny hodnoty jsou v CSV).",
    "summary_standard": "Hodnoceno podle", "meta_block": "Údaje protokolu", "meta_company": "Firma",
    "meta_ico": "IČO", "meta_position": "Profese / pracovní pozice", "meta_workplace": "Pracoviště",
    "meta_workers": "Pracovník (iniciály)", "meta_date": "Datum měření", "meta_measured_by": "Měřil",
    "meta_camera": "Umístění kamery", "meta_time_study": "Časový snímek (soubor)",
    "meta_from_study": "z časového snímku {name}", "measurement_block": "Video a měření",
    "measured_parts": "Podíl videa se změřenou částí těla",
    "result_block": "Výsledek", "uncertainty_block": "Nejistota měření",
    "uncertainty_statement": "Úhly z jedné videokamery, pohled {view}. Typické chyby v tomto pohledu: trup ± {trunk:g}°, "
                             "hlava ± {head:g}°, paže ± {arm:g}° (processor/accuracy.py, proti renderovaným postavám se "
                             "známou polohou). Minuty za směnu jsou přepočteny z {seconds:.0f} s vyhodnoceného videa na dobu "
                             "výkonu práce; položky označené jako hraniční mohou v rámci těchto chyb spadat do jiné kategorie.",
    "uncertainty_film_side": "Při záznamu z boku (70–110°) je typická chyba trupu ± {side:g}°: kde o kategorii "
                             "rozhodují polohy trupu, natáčejte z boku.",
    "uncertainty_legs_hidden": "Nohy byly zakryté (stůl, stroj) po {share:.0%} změřené doby: kyčle jsou tam odhadnuté "
                               "a typické chyby jsou trup ± {trunk:g}°, hlava ± {head:g}°, paže ± {arm:g}°; "
                               "označení hraničních položek s nimi počítá.",
    "signature_block": "Měřil a vyhodnotil", "sig_name": "Jméno", "sig_date": "Datum", "sig_signature": "Podpis",
    "col_minutes_shift": "Minut za směnu", "col_category": "Kategorie",
    "borderline_mark": "hraniční {lo}–{hi}",
    "camera_view": "{view}, zhruba {height} osoby",
    "keyframes_title": "Nejhorší okamžik položek, které určují kategorii (obličeje rozmazány)",
    "keyframes_title_1": "Nejhorší okamžik nejčastějších položek (obličeje rozmazány)",
    "keyframes_title_noblur": "Nejhorší okamžik položek, které určují kategorii",
    "keyframe_caption": "{row} — {time}, {quantity} {value}",
    "keyframes_none": "Žádná poloha z katalogu se nevyskytla, klíčové snímky proto nejsou.",
    "no_blur_note": "Obličeje nejsou rozmazány (nastavení analysis.blur_faces = false).",
    "time_axis_mmss": "Čas (min:s)",
    "method_record": "Technický záznam zpracování (hodnoty, jak je zapsal software)",
    "sigdef_trunk_flexion": "předklon trupu (spojnice trupu proti svislici v sagitální rovině, + vpřed)",
    "sigdef_trunk_bend_twist": "větší z |úklonu trupu| a |rotace trupu|",
    "sigdef_head_flexion": "sklon hlavy (spojnice ucho–rameno proti svislici, + vpřed)",
    "sigdef_head_bend_rot": "větší z |úklonu hlavy| a |rotace hlavy|, obojí vůči trupu",
    "sigdef_arm_R": "zvednutí pravé paže proti svislici; „zapažení“ = za trupem o více než 20°, paže pod vodorovnou",
    "sigdef_arm_L": "zvednutí levé paže proti svislici; „zapažení“ = za trupem o více než 20°, paže pod vodorovnou",
    "sigdef_knee_flexion": "větší flexe kolena z obou nohou (0 = natažená)",
    "sigdef_low_posture": "klek, dřep nebo leh z výšky kyčlí a kolen nad kotníky v délkách nohy",
    "borders": "hranice", "typical_error": "Typická chyba: {name}",
    "meta_pose_quality": "Odhad pózy: kvalita", "meta_pose_analysis_fps": "Odhad pózy: snímků za sekundu",
    "meta_pose_model": "Odhad pózy: model", "meta_pose_flip_test": "Odhad pózy: zrcadlený obraz",
    "meta_pose_skeleton": "Odhad pózy: kostra", "meta_pose_segments": "Odhad pózy: úseků videa",
    "meta_pose_processes": "Odhad pózy: procesů", "meta_pose_max_side": "Odhad pózy: velikost obrazu (px)",
    "meta_pose_seconds": "Odhad pózy: doba výpočtu (s)", "meta_pose_decoded_until_s": "Video dekódováno do (s)",
    "meta_pose_subject_choice": "Hodnocená osoba", "meta_pose_other_person_frames": "Snímky s jinou osobou (prázdné)",
    "meta_pose_other_person_s": "Časy s jinou osobou (prázdné)",
    "meta_pose_subject_unlike_frames": "Snímky nepodobné osobě (prázdné)",
    "meta_pose_subject_recovered_frames": "Snímky, kde byla osoba znovu nalezena",
    "meta_pose_short_trunk_frames": "Snímky s nemožně krátkým trupem (sledování)",
    "meta_pose_short_trunk_frames_read_again": "Z nich znovu přečtené nanovo",
    "meta_cleaning_analysed_share": "Podíl vyhodnocených snímků po čištění",
    "meta_cleaning_neck_out_of_range_frames": "Snímky s krkem mimo anatomický rozsah pohybu (ponechány prázdné)",
    "meta_angles_vertical_method": "Svislice: metoda", "meta_angles_vertical_standing_frames": "Svislice: snímky ve stoje",
    "meta_angles_vertical_camera_pitch_deg": "Svislice: sklon kamery (°)", "meta_angles_trunk_depth_method": "Hloubka trupu: metoda",
    "meta_angles_source": "Úhly z",
    "conditional_max_min": "Podmíněně přijatelné polohy nejvýše (min/směnu)",
    "unacceptable_max_min": "Nepřijatelné polohy nejvýše (min/směnu)",
    "combined_max_share": "Jiné než neutrální polohy nejvýše (podíl směny)",
    "part_column": "měřeno jako",
    "freq_ge2": "≥ 2/min", "freq_lt2": "< 2/min",
})

# The position workbook (processor.nv361.position): its own keys, prefixed ``pos_``.
_POSITION = {
    "cs": {
        "sheet_protocol": "Protokol", "sheet_all": "Všechny položky", "sheet_study": "Časový snímek",
        "sheet_calc": "Výpočet",
        "title": "Hodnocení pracovních poloh pracovní pozice",
        "workers": "Měření pracovníci (iniciály)", "standard": "Hodnoceno podle",
        "s3": "3. Zaznamenaný výskyt pracovních poloh",
        "posture": "Pracovní poloha (NV č. 361/2007 Sb., příloha č. 5 část C)", "posture_en": "Pracovní poloha (anglicky)",
        "work": "Svalová práce", "frequency": "Frekvence pohybů", "per_shift": "min/směnu",
        "average": "Průměr (min/směnu)", "class": "N / PP", "category": "Kategorie",
        "none_occurred": "Žádná z hodnocených pracovních poloh se nevyskytla.",
        "s3_note": "N = nepřijatelná, PP = podmíněně přijatelná. Minuty za směnu pracovníka = Σ přes operace (sekundy "
                   "v poloze ÷ sekundy, kdy byla část těla ve videu měřena × minuty operace za směnu); průměr je "
                   "z pracovníků, u nichž byla poloha měřena.",
        "s4": "4. Celkové výsledky",
        "shift": "Délka směny (min)", "meal_break": "Přestávka na jídlo a oddech (min)",
        "work_time": "Doba výkonu práce (min)",
        "coefficient": "Koeficient doby výkonu práce (NV č. 361/2007 Sb., příloha č. 5 část D, tabulka č. 8)",
        "below_table": "Doba výkonu práce je kratší než 240 min, kde tabulka č. 8 začíná; použit její první koeficient.",
        "limits_pp": "Limity podmíněně přijatelných poloh (PP): kategorie 1 do / kategorie 2 do (min/směnu)",
        "limits_n": "Limity nepřijatelných poloh (N): kategorie 1 do / kategorie 2 do (min/směnu)",
        "rule": "Souhrnné pravidlo (pro informaci): součet / limit (min/směnu)",
        "rule_pp": "Podmíněně přijatelné polohy celkem (limit 160 × koeficient)",
        "rule_n": "Nepřijatelné polohy celkem (limit 30 × koeficient)",
        "rule_both": "Obojí celkem (limit polovina doby výkonu práce)",
        "overall": "Celkové hodnocení", "proposed": "Navržená kategorie", "notes": "Poznámky",
        "id": "Položka (id)", "part": "Část těla", "limit1": "Kategorie 1 do (min)", "limit2": "Kategorie 2 do (min)",
        "status": "Stav",
        "status_measured": "posouzeno", "status_not_applicable": "neuplatní se (podle opory ve videích)",
        "status_not_measured": "neměřeno (část těla nebyla ve videích měřena)",
        "status_not_from_video": "nelze posoudit z videa",
        "operation": "Operace", "minutes": "Minut za směnu", "support": "Opora", "video": "Video",
        "worker": "Pracovník", "seconds": "Sekundy v poloze", "analysed": "Měřeno (s)", "share": "Podíl",
        "op_minutes": "Minut operace za směnu", "row_minutes": "Minut polohy za směnu",
        "operations_sum": "Součet minut operací",
        "calc_note": "Prázdné minuty: video danou část těla neměřilo (položka se u operace nezapočítává).",
        "uncertainty": "Minuty vycházejí z úhlů změřených jednou videokamerou; typické chyby úhlů podle pohledu uvádí list "
                       "Metodika každého videa. Sloupec „Minuty v rámci nejistoty“ (list Všechny položky) dává minuty "
                       "s úhly každého videa posunutými o typickou chybu jeho pohledu a s dobou, kdy část těla nebyla "
                       "vidět, započtenou jako žádná i celá v poloze; sčítá se přes operace a průměruje přes pracovníky "
                       "jako minuty. Položky označené jako hraniční mohou v rámci těchto chyb spadat do jiné kategorie; "
                       "ověřte je na videu.",
    },
    "en": {
        "sheet_protocol": "Protocol", "sheet_all": "All rows", "sheet_study": "Time study",
        "sheet_calc": "Calculation",
        "title": "Working postures of a position",
        "workers": "Workers measured (initials)", "standard": "Assessed under",
        "s3": "3. Recorded occurrence of working postures",
        "posture": "Working posture (NV 361/2007 Sb., Annex 5 part C, legal text)", "posture_en": "Posture (English)",
        "work": "Muscle work", "frequency": "Frequency of movements", "per_shift": "min/shift",
        "average": "Average (min/shift)", "class": "N / PP", "category": "Category",
        "none_occurred": "None of the assessed working postures occurred.",
        "s3_note": "N = unacceptable, PP = conditionally acceptable. A worker's minutes per shift = Σ over the "
                   "operations (seconds in the posture ÷ seconds the body part was measured in the video × the "
                   "operation's minutes per shift); the average is over the workers in whom the posture was measured.",
        "s4": "4. Overall results",
        "shift": "Shift (min)", "meal_break": "Meal break (min)", "work_time": "Work time (min)",
        "coefficient": "Work-time coefficient (NV 361/2007 Sb., Annex 5 part D, table 8)",
        "below_table": "The work time is below 240 min, where table 8 starts; its first coefficient is used.",
        "limits_pp": "Limits of conditionally acceptable postures (PP): category 1 up to / category 2 up to (min/shift)",
        "limits_n": "Limits of unacceptable postures (N): category 1 up to / category 2 up to (min/shift)",
        "rule": "Summary rule (for information): sum / limit (min/shift)",
        "rule_pp": "Conditionally acceptable postures in all (limit 160 × coefficient)",
        "rule_n": "Unacceptable postures in all (limit 30 × coefficient)",
        "rule_both": "Both together (limit half the work time)",
        "overall": "Overall assessment", "proposed": "Proposed category", "notes": "Notes",
        "id": "Row (id)", "part": "Body part", "limit1": "Category 1 up to (min)", "limit2": "Category 2 up to (min)",
        "status": "Status",
        "status_measured": "assessed", "status_not_applicable": "not applicable (the videos' support marks)",
        "status_not_measured": "not measured (the body part was not measured in the videos)",
        "status_not_from_video": "not assessed from the video",
        "operation": "Operation", "minutes": "Minutes per shift", "support": "Support", "video": "Video",
        "worker": "Worker", "seconds": "Seconds in posture", "analysed": "Measured (s)", "share": "Share",
        "op_minutes": "Operation minutes per shift", "row_minutes": "Posture minutes per shift",
        "operations_sum": "Operations in all",
        "calc_note": "Empty minutes: the video did not measure that body part (the row does not count the operation).",
        "uncertainty": "The minutes come from angles measured with one video camera; each video's Method sheet states the "
                       "typical angle errors of its view. The column \"Minutes within the uncertainty\" (sheet All rows) "
                       "gives the minutes with each video's angles moved by the typical error of its view and with the "
                       "time a body part was not seen counted as none and as all of it in the posture, summed over the "
                       "operations and averaged over the workers like the minutes. Rows marked borderline could fall in "
                       "another category within these errors; check them on the video.",
    },
}
for _lang, _table in _POSITION.items():
    LABELS[_lang].update({f"pos_{k}": v for k, v in _table.items()})

METADATA_KEYS = ("company", "ico", "position", "workplace", "workers", "date", "measured_by", "camera")


def freq_label(lang: str, frequency: str | None) -> str | None:
    """A catalogue row's frequency class for readers (``>=2/min`` -> "≥ 2/min"); None for static rows."""
    if not frequency:
        return None
    return label(lang, "freq_ge2" if frequency.startswith(">=") else "freq_lt2")


def borderline_mark(lang: str, assessed) -> str | None:
    """"borderline 1–2" for a row assessment (``processor.nv361.evaluate.RowAssessment``) whose range of
    minutes crosses a category limit; None otherwise."""
    if not assessed.borderline:
        return None
    lo, hi = assessed.category_range
    return label(lang, "borderline_mark", lo=lo, hi=hi)


def range_text(assessed) -> str | None:
    """A row assessment's minutes within the uncertainty as "12.5–16.7"; None without a range."""
    r = assessed.minutes_range
    return None if r is None else f"{r[0]:.1f}–{r[1]:.1f}"


def position_labels(lang: str) -> dict[str, str]:
    """The position workbook's labels (``pos_*``) and the shared metadata labels, by their short keys."""
    if lang not in LABELS:
        raise ValueError(f"unknown language {lang!r}; use cs or en")
    table = {k[4:]: label(lang, k) for k in LABELS["en"] if k.startswith("pos_")}
    for key in ("company", "ico", "position", "workplace", "date", "measured_by", "time_study"):
        table[key] = label(lang, f"meta_{key}")
    return table


# The processing record's names the table above does not list one by one: stage prefixes and field
# names of the body fit's settings (processor.body_fit.FitSettings), and the neutral offsets per angle.
_RECORD_NAMES = {
    "en": {
        "angles_vertical_tilt_deg": "Vertical: standing legs' lean (°)",
        "angles_trunk_depth_reference": "Trunk depth: reference frames",
        "angles_trunk_depth_reference_frames": "Trunk depth: reference frame count",
        "angles_trunk_depth_trunk_length_m": "Trunk depth: trunk length (m)",
        "angles_trunk_depth_frames_depth_raised": "Trunk depth: frames with the depth raised",
        "angles_trunk_depth_frames_sign_flipped": "Trunk depth: frames with the sign turned",
        "angles_trunk_depth_frames_depth_capped": "Trunk depth: frames with the depth capped (hips guessed)",
        "angles_trunk_depth_frames_in_front_from_foreshortening": "Trunk depth: frames in front brought nearer the picture plane by the trunk's foreshortening",
        "angles_facing_frames_mirrored": "Facing: frames read as a mirror image, corrected",
        "angles_neck_depth_method": "Neck depth from behind: method",
        "angles_neck_depth_frames_behind": "Neck depth from behind: frames seen from behind",
        "angles_neck_depth_reference_frames": "Neck depth from behind: reference frames (trunk upright, head neutral)",
        "angles_neck_depth_frames_head_hidden": "Neck depth from behind: frames with the head hidden behind the back, left as read",
        "angles_neck_depth_frames_changed": "Neck depth from behind: frames corrected",
        "angles_neck_depth_frames_sign_forward": "Neck depth from behind: frames with the head taken as bowed forward",
        "angles_hidden_hips_method": "Hidden hips: method", "angles_hidden_hips_frames": "Hidden hips: frames steadied",
        "angles_hidden_hips_largest_shift_px": "Hidden hips: largest shift (px)",
        "angles_hidden_hips_frames_dip_kept": "Hidden hips: frames kept as a dip of the whole body",
        "angles_sagittal_facing_method": "Hidden hips, facing: method",
        "angles_sagittal_facing_frames": "Hidden hips, facing: frames steadied",
        "angles_sagittal_facing_largest_turn_deg": "Hidden hips, facing: largest turn removed (°)",
        "angles_sagittal_method": "Hidden hips, trunk and neck in the sagittal plane: method",
        "angles_sagittal_frames": "Hidden hips, trunk and neck in the sagittal plane: frames",
        "angles_neck_sagittal_frames": "Neck against the trunk in the sagittal plane (oblique views): frames",
        "angles_arms_sagittal_method": "Upper arms in the sagittal plane: method",
        "angles_arms_sagittal_left_frames": "Upper arms in the sagittal plane: left arm, frames",
        "angles_arms_sagittal_right_frames": "Upper arms in the sagittal plane: right arm, frames",
        "angles_arms_sagittal_left_length_m": "Upper arms in the sagittal plane: left upper arm's length in the picture (m)",
        "angles_arms_sagittal_right_length_m": "Upper arms in the sagittal plane: right upper arm's length in the picture (m)",
        "angles_arm_depth_left_frames": "Upper arms seen from in front, brought nearer the picture plane by the foreshortening: left arm, frames",
        "angles_arm_depth_right_frames": "Upper arms seen from in front, brought nearer the picture plane by the foreshortening: right arm, frames",
        "fit_residual_mean_mm": "Body fit: mean residual (mm)", "fit_residual_p95_mm": "Body fit: 95th percentile residual (mm)",
        "fit_frames_fitted": "Body fit: frames fitted", "fit_device": "Body fit: device",
        "fit_seconds": "Body fit: computing time (s)", "fit_model_file": "Body fit: model file",
        "fit_settings_": "Body fit setting: {field}", "angles_neutral_offsets_deg_": "Neutral offset removed: {name}",
    },
    "cs": {
        "angles_vertical_tilt_deg": "Svislice: sklon nohou ve stoje (°)",
        "angles_trunk_depth_reference": "Hloubka trupu: referenční snímky",
        "angles_trunk_depth_reference_frames": "Hloubka trupu: počet referenčních snímků",
        "angles_trunk_depth_trunk_length_m": "Hloubka trupu: délka trupu (m)",
        "angles_trunk_depth_frames_depth_raised": "Hloubka trupu: snímky se zvýšenou hloubkou",
        "angles_trunk_depth_frames_sign_flipped": "Hloubka trupu: snímky s otočeným znaménkem",
        "angles_trunk_depth_frames_depth_capped": "Hloubka trupu: snímky s omezenou hloubkou (odhadnuté kyčle)",
        "angles_trunk_depth_frames_in_front_from_foreshortening": "Hloubka trupu: snímky zepředu, v nichž zkrácení trupu v obraze přiblížilo trup rovině obrazu",
        "angles_facing_frames_mirrored": "Natočení: snímky čtené zrcadlově, opravené",
        "angles_neck_depth_method": "Hloubka krku zezadu: metoda",
        "angles_neck_depth_frames_behind": "Hloubka krku zezadu: snímky zezadu",
        "angles_neck_depth_reference_frames": "Hloubka krku zezadu: referenční snímky (trup vzpřímený, hlava neutrálně)",
        "angles_neck_depth_frames_head_hidden": "Hloubka krku zezadu: snímky s hlavou skrytou za zády, ponechané",
        "angles_neck_depth_frames_changed": "Hloubka krku zezadu: opravené snímky",
        "angles_neck_depth_frames_sign_forward": "Hloubka krku zezadu: snímky s hlavou vzatou jako předkloněnou",
        "angles_hidden_hips_method": "Zakryté kyčle: metoda", "angles_hidden_hips_frames": "Zakryté kyčle: ustálené snímky",
        "angles_hidden_hips_largest_shift_px": "Zakryté kyčle: největší posun (px)",
        "angles_hidden_hips_frames_dip_kept": "Zakryté kyčle: snímky ponechané jako pokles celého těla",
        "angles_sagittal_facing_method": "Zakryté kyčle, natočení pánve: metoda",
        "angles_sagittal_facing_frames": "Zakryté kyčle, natočení pánve: ustálené snímky",
        "angles_sagittal_facing_largest_turn_deg": "Zakryté kyčle, natočení pánve: největší odstraněné pootočení (°)",
        "angles_sagittal_method": "Zakryté kyčle, trup a krk v sagitální rovině: metoda",
        "angles_sagittal_frames": "Zakryté kyčle, trup a krk v sagitální rovině: snímky",
        "angles_neck_sagittal_frames": "Krk vůči trupu v sagitální rovině (šikmé pohledy): snímky",
        "angles_arms_sagittal_method": "Paže v sagitální rovině: metoda",
        "angles_arms_sagittal_left_frames": "Paže v sagitální rovině: levá paže, snímky",
        "angles_arms_sagittal_right_frames": "Paže v sagitální rovině: pravá paže, snímky",
        "angles_arms_sagittal_left_length_m": "Paže v sagitální rovině: délka levé paže v obraze (m)",
        "angles_arms_sagittal_right_length_m": "Paže v sagitální rovině: délka pravé paže v obraze (m)",
        "angles_arm_depth_left_frames": "Paže zepředu, přiblížené rovině obrazu podle zkrácení: levá paže, snímky",
        "angles_arm_depth_right_frames": "Paže zepředu, přiblížené rovině obrazu podle zkrácení: pravá paže, snímky",
        "fit_residual_mean_mm": "Tělesný model: průměrná odchylka (mm)",
        "fit_residual_p95_mm": "Tělesný model: 95. percentil odchylky (mm)",
        "fit_frames_fitted": "Tělesný model: proložených snímků", "fit_device": "Tělesný model: zařízení",
        "fit_seconds": "Tělesný model: doba výpočtu (s)", "fit_model_file": "Tělesný model: soubor modelu",
        "fit_settings_": "Tělesný model, nastavení: {field}", "angles_neutral_offsets_deg_": "Odečtený neutrální posun: {name}",
    },
}


def meta_label(lang: str, key: str) -> str:
    """A processing record key (Method sheet) for readers; the key itself when no table has it."""
    if f"meta_{key}" in LABELS["en"]:
        return label(lang, f"meta_{key}")
    names = _RECORD_NAMES.get(lang, _RECORD_NAMES["en"])
    if key in names:
        return names[key]
    if key.startswith("fit_settings_"):  # a parameter's own name (processor.body_fit.FitSettings)
        return names["fit_settings_"].format(field=key[len("fit_settings_"):])
    if key.startswith("angles_neutral_offsets_deg_"):
        column = key[len("angles_neutral_offsets_deg_"):]
        name = label(lang, f"col_{column}") if f"col_{column}" in LABELS["en"] else column
        return names["angles_neutral_offsets_deg_"].format(name=name)
    return key


# The processing record's sentences, written by the pipeline in English, in Czech: (pattern, replacement).
# A sentence no pattern matches is shown as written (tests/processor/test_cli_analyze.py fails on one).
_RECORD_CS = [
    (r"camera level \(no standing frames to estimate from\)", "kamera ve vodorovné poloze (žádné snímky ve stoje k odhadu)"),
    (r"camera level \(estimate (\d+)° off the camera's vertical was rejected\)",
     r"kamera ve vodorovné poloze (odhad \1° od svislice kamery zamítnut)"),
    (r"camera level \(standing legs lean (\d+)°, below the (\d+)° threshold\)",
     r"kamera ve vodorovné poloze (nohy ve stoje skloněné o \1°, pod prahem \2°)"),
    (r"estimated from standing frames \(mid-ankle to mid-hip\)", "odhadnuta ze snímků ve stoje (střed kotníků – střed kyčlí)"),
    (r"camera pitch given", "zadaný sklon kamery"),
    (r"not corrected", "neopraveno"),
    (r"not used \(too few frames seen from behind with the trunk upright and the head neutral\)",
     "nepoužito (málo snímků zezadu se vzpřímeným trupem a neutrální hlavou)"),
    (r"out-of-plane angle from the neck's length over the hip width against the person's neutral proportion, "
     r"fused with MediaPipe's depth \(processor\.neck_depth\)",
     "úhel mimo rovinu obrazu z délky krku vůči šířce pánve proti neutrálnímu poměru téže osoby, "
     "sloučený s hloubkou z MediaPipe (processor.neck_depth)"),
    (r"trunk near the picture plane", "trup blízko roviny obrazu"),
    (r"trunk upright", "trup vzpřímený"),
    (r"depth bounded by the trunk's length, sign by its extension range \(processor\.trunk_depth\)",
     "hloubka omezená délkou trupu, znaménko podle rozsahu záklonu (processor.trunk_depth)"),
    (r"sign by the trunk's extension range only \(too few frames with the trunk near the picture plane or upright\)",
     "jen znaménko podle rozsahu záklonu (málo snímků s trupem blízko roviny obrazu nebo vzpřímeným)"),
    (r"x, y from the image landmarks, depth from the world landmarks \(processor\.anchoring\)",
     "x, y z bodů v obraze, hloubka z prostorových bodů (processor.anchoring)"),
    (r"not needed \(the legs are seen in every frame\)", "není třeba (nohy jsou vidět ve všech snímcích)"),
    (r"the hips' picture position in the frames with the legs hidden: its running median over ([\d.]+) s",
     r"poloha kyčlí v obraze ve snímcích se zakrytýma nohama: její klouzavý medián za \1 s"),
    (r"the facing in the frames with the legs hidden: its running median over ([\d.]+) s",
     r"natočení pánve ve snímcích se zakrytýma nohama: jeho klouzavý medián za \1 s"),
    (r"not used \(no frame with the legs hidden is seen obliquely\)",
     "nepoužito (žádný snímek se zakrytýma nohama není snímán šikmo)"),
    (r"the trunk and neck lines of the frames with the legs hidden, seen obliquely, "
     r"in the sagittal plane of the steadied facing \(processor\.sagittal\)",
     "osy trupu a krku ve snímcích se zakrytýma nohama, snímaných šikmo, v sagitální rovině "
     "ustáleného natočení pánve (processor.sagittal)"),
    (r"each upper arm seen from the side or obliquely whose picture shows it whole for the sagittal plane "
     r"taken in that plane \(processor\.sagittal\)",
     "každá paže snímaná z boku nebo šikmo, jejíž obraz ukazuje celou délku pro sagitální rovinu, vzata v této "
     "rovině (processor.sagittal)"),
    (r"not used \(no upper arm seen from the side or obliquely lies in the sagittal plane\)",
     "nepoužito (žádná paže snímaná z boku nebo šikmo neleží v sagitální rovině)"),
    (r"not used", "nepoužito"),
    (r"off: whoever MediaPipe found", "vypnuto: kohokoli MediaPipe našel"),
    (r"no person was found", "nebyla nalezena žádná osoba"),
    (r"none", "žádné"),
    (r"on", "zapnuto"),
    (r"off", "vypnuto"),
    (r"the person in the picture longest, weighted by how central \(analysed ([\d.]+) s of ([\d.]+) s"
     r"(?:; (\d+) other (?:person|people) seen, not analysed)?\); followed by position, size and clothing colour from frame to frame",
     lambda m: f"osoba nejdéle v obraze, vážená podle polohy ve středu (vyhodnoceno {m[1]} s z {m[2]} s"
               + (f"; viděno dalších osob: {m[3]}, nevyhodnoceny" if m[3] else "")
               + "); sledovaná podle polohy, velikosti a barvy oblečení ze snímku na snímek"),
]


def record_value(lang: str, value):
    """A processing record value for readers: sentences in the report's language, numbers as they are."""
    if lang != "cs" or not isinstance(value, str):
        return value
    for pattern, replacement in _RECORD_CS:
        m = re.fullmatch(pattern, value)
        if m:
            return replacement(m) if callable(replacement) else m.expand(replacement)
    return value
LABELS["en"]["chart_base"] = "(axis)"
LABELS["cs"]["chart_base"] = "(osa)"
