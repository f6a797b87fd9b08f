"""Report wording in English and Czech: one small table, looked up with ``label(lang, key)``."""

from __future__ import annotations

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
        "nan_text": "Frames where a body part could not be measured are left empty and counted as not analysed, never as neutral.",
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
        "nan_text": "Snímky, na kterých část těla nešlo změřit, zůstávají prázdné a počítají se jako nevyhodnocené, nikdy jako neutrální.",
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
    if "zone" in params:
        params["zone"] = zone_label(lang, params["zone"])
    if "part" in params:
        params["part"] = part_label(lang, params["part"])
    return label(lang, f"reason_{reason.code}", **params)


# The NV 361 catalogue report (processor.report_catalogue) and the position workbook.
LABELS["en"].update({
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
    "view_front": "in front (0–30°)", "view_oblique": "oblique (30–70°)", "view_side": "from the side (70–110°)",
    "view_rear_oblique": "oblique from behind (110–150°)", "view_rear": "from behind (150–180°)",
    "view_unknown": "unknown",
    "uncertainty_text": "Typical errors (mean absolute error against the truth on rendered people, this view; "
                        "processor/accuracy.py). Each row's minutes are recomputed with every angle moved by its "
                        "typical error down and up; a row whose range crosses a category limit is marked borderline.",
})
LABELS["cs"].update({
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
    "view_front": "zepředu (0–30°)", "view_oblique": "šikmo (30–70°)", "view_side": "z boku (70–110°)",
    "view_rear_oblique": "šikmo zezadu (110–150°)", "view_rear": "zezadu (150–180°)",
    "view_unknown": "neznámý",
    "uncertainty_text": "Typické chyby (průměrná absolutní chyba proti skutečnosti na renderovaných postavách, tento pohled; "
                        "processor/accuracy.py). Minuty každé položky se přepočtou se všemi úhly posunutými o typickou chybu "
                        "dolů i nahoru; položka, jejíž rozsah překročí hranici kategorie, je označena jako hraniční.",
})
