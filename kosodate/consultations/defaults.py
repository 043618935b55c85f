"""The default topics (and the profession each routes to) and emergency words, loaded by migration
0002 (which keeps its own copy, as migrations do) and by defaults_ensure() for a database that
was emptied (the demo, tests that flush tables). A municipality edits them in the Django admin."""

TOPICS = [
    # code, 名前, English, profession
    ("development", "発達", "Development", "health"),
    ("feeding", "授乳・離乳食", "Breastfeeding and weaning", "nutrition"),
    ("sleep", "睡眠", "Sleep", "health"),
    ("illness", "病気・けが", "Illness and injuries", "health"),
    ("parenting", "子育ての悩み", "Parenting worries", "childcare"),
    ("childcare", "保育・一時預かり", "Nursery and temporary care", "childcare"),
    ("other", "その他", "Other", "childcare"),
]

WORDS = [
    ("意識がない", "emergency"),
    ("意識が無い", "emergency"),
    ("けいれん", "emergency"),
    ("痙攣", "emergency"),
    ("ひきつけ", "emergency"),
    ("息をしていない", "emergency"),
    ("呼吸がない", "emergency"),
    ("顔色が悪い", "emergency"),
    ("誤飲", "emergency"),
    ("やけど", "emergency"),
    ("頭を打った", "emergency"),
    ("虐待", "abuse"),
    ("叩いてしまう", "abuse"),
    ("殴", "abuse"),
    ("死にたい", "self_harm"),
    ("消えたい", "self_harm"),
    ("心中", "self_harm"),
]
