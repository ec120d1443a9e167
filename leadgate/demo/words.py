"""The demo company's vocabulary: small built-in word lists (no Faker, no
network), so `leadgate demo` builds the same data everywhere, and the
account names and phone numbers made of them."""

import random
from bisect import bisect_right

from leadgate.leads.lifecycle import Stage

MINUTE, HOUR, DAY = 60, 3600, 86400
INQUIRY, MQL, WORKING, REJECTED = Stage.INQUIRY, Stage.MQL, Stage.WORKING, Stage.REJECTED

def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split("|")]


Weighted = tuple[list[str], list[float]]


def _weighted(text: str) -> Weighted:
    """"reason=weight|...": the reasons and their cumulative weights (`pick`)."""
    pairs = [item.rsplit("=", 1) for item in _words(text)]
    total, cumulative = 0.0, []
    for _reason, weight in pairs:
        total += float(weight)
        cumulative.append(total)
    return [reason.strip() for reason, _weight in pairs], cumulative


def pick(rng: random.Random, table: Weighted) -> str:
    """One reason of `table`, as often as its weight says."""
    reasons, cumulative = table
    return reasons[bisect_right(cumulative, rng.random() * cumulative[-1])]


FIRST_NAMES = _words(
    "James|Mary|Robert|Patricia|John|Jennifer|Michael|Linda|David|Elizabeth|William|Susan|"
    "Joseph|Jessica|Thomas|Sarah|Daniel|Karen|Matthew|Nancy|Anthony|Lisa|Mark|Emily|Paul|"
    "Michelle|Andrew|Amanda|Kevin|Rebecca|Lukas|Anna|Leon|Mia|Felix|Lea|Jonas|Emma|Louis|"
    "Chloe|Hugo|Camille|Lucas|Manon|Pablo|Lucia|Javier|Elena|Oliver|Amelia|Harry|Isla|Noah|"
    "Olivia|Sven|Astrid|Lars|Ingrid|Daan|Sanne|Joao|Ana|Rafael|Beatriz|Diego|Valentina|Priya|"
    "Arjun|Wei|Mei|Omar|Fatima|Grace|Ethan|Chen|Sofia"
)
LAST_NAMES = _words(
    "Smith|Johnson|Williams|Brown|Jones|Garcia|Miller|Davis|Rodriguez|Martinez|Lopez|Wilson|"
    "Anderson|Taylor|Moore|Jackson|Martin|Lee|Thompson|White|Harris|Clark|Lewis|Walker|Young|"
    "Allen|King|Wright|Scott|Green|Baker|Adams|Nelson|Hill|Campbell|Mitchell|Carter|Mueller|"
    "Schmidt|Schneider|Fischer|Weber|Wagner|Becker|Dubois|Moreau|Laurent|Leroy|Fernandez|"
    "Gonzalez|Sanchez|Romero|Navarro|Evans|Hughes|Edwards|Collins|Murphy|Johansson|Nilsson|"
    "Bakker|Visser|Jansen|Silva|Santos|Oliveira|Costa|Patel|Shah|Nguyen|Kim|Okafor|Novak"
)
EMAIL_PATTERNS = ["{f}.{l}", "{f}.{l}", "{i}{l}", "{f}", "{f}{l}", "{f}_{l}"]
TITLES = _words(
    "CEO|COO|CFO|CTO|Founder|VP of Sales|VP of Marketing|Head of Revenue Operations|"
    "Director of Operations|Director of Finance|Head of IT|IT Manager|Sales Operations Manager|"
    "Marketing Manager|Growth Marketing Manager|Procurement Lead|Business Analyst|"
    "Office Manager|Head of Customer Success|Sales Manager"
)
# Company names: prefix + core; the pair is unique, so domains are unique.
PREFIXES = _words(
    "North|Blue|Bright|Silver|Green|Iron|Stone|River|Summit|Apex|Cedar|Pine|Oak|Maple|Harbor|"
    "Atlas|Nova|Vertex|Quantum|Pioneer|Prime|Swift|Clear|Bold|Lumen|Orbit|Delta|Sigma|Polar|"
    "Crest|Vista|Echo|Falcon|Eagle|Hawk|Wolf|Fox|Bear|Lion|Coral|Amber|Jade|Onyx|Ruby|Cobalt|"
    "Copper|Granite|Meadow|Willow|Aspen|Birch|Moon|Star|Sky|Cloud|Wave|Tide|Ridge|Valley|"
    "Canyon|Mesa|Prairie|Arrow|Anchor|Beacon|Bridge|Castle|Tower|Gate|Forge|Mill|Harvest|"
    "Keystone|Landmark|Liberty|Meridian|Nimbus|Optima|Paragon|Radiant|Sterling|Trinity|Unity|"
    "Vanguard|Zenith|Evergreen|Horizon|Frontier|Catalyst|Momentum|Insight|Signal|Vector|Kite"
)
CORES = [pair.split(":") for pair in _words(
    "Analytics:Software|Systems:Software|Software:Software|Logistics:Logistics|"
    "Health:Healthcare|Labs:Biotech|Data:Software|Networks:Telecommunications|"
    "Solutions:IT services|Industries:Manufacturing|Dynamics:Manufacturing|"
    "Robotics:Manufacturing|Energy:Energy|Finance:Financial services|Capital:Financial services|"
    "Partners:Professional services|Consulting:Professional services|Media:Media|Foods:Food|"
    "Retail:Retail|Pharma:Pharmaceuticals|Bio:Biotech|Cloud:Software|Security:Software|"
    "Works:Construction|Metrics:Software|Learning:Education|Legal:Legal services|"
    "Insurance:Insurance|Travel:Travel|Motors:Automotive|Devices:Electronics|"
    "Telecom:Telecommunications|Materials:Chemicals|Freight:Logistics|Clinics:Healthcare"
)]
LEGAL_FORMS = {"US": ["Inc.", "LLC", "Corp."], "CA": ["Inc.", "Ltd."], "GB": ["Ltd", "plc"],
               "DE": ["GmbH", "AG"], "FR": ["SAS", "SA"], "NL": ["B.V."], "ES": ["S.L.", "S.A."],
               "SE": ["AB"], "BR": ["Ltda."], "MX": ["S.A. de C.V."]}
DOMAIN_FORMS = ["{}", "{}hq", "get{}", "{}group", "{}-app"]
# code, weight, TLD, team region, phone (N: digit 2-9, X: any digit), "city:state:tz;..."
COUNTRIES = [(*row[:5], [tuple(city.split(":")) for city in row[5].split(";")]) for row in [
    ("US", 38, "com", "americas", "+1NXXNXXXXXX", "New York:NY:America/New_York;Boston:MA:"
     "America/New_York;Atlanta:GA:America/New_York;Chicago:IL:America/Chicago;Austin:TX:"
     "America/Chicago;Denver:CO:America/Denver;San Francisco:CA:America/Los_Angeles;"
     "Seattle:WA:America/Los_Angeles"),
    ("CA", 6, "ca", "americas", "+1NXXNXXXXXX",
     "Toronto:ON:America/Toronto;Vancouver:BC:America/Vancouver"),
    ("BR", 4, "com.br", "americas", "+55119XXXXXXXX", "Sao Paulo:SP:America/Sao_Paulo"),
    ("MX", 3, "com.mx", "americas", "+5255XXXXXXXX", "Mexico City:CDMX:America/Mexico_City"),
    ("GB", 14, "co.uk", "emea", "+447XXXXXXXXX",
     "London:England:Europe/London;Manchester:England:Europe/London"),
    ("DE", 12, "de", "emea", "+4915XXXXXXXXX", "Berlin:Berlin:Europe/Berlin;Munich:Bavaria:"
     "Europe/Berlin"),
    ("FR", 9, "fr", "emea", "+336XXXXXXXX", "Paris:Ile-de-France:Europe/Paris;"
     "Lyon:Auvergne-Rhone-Alpes:Europe/Paris"),
    ("NL", 6, "nl", "emea", "+316XXXXXXXX", "Amsterdam:North Holland:Europe/Amsterdam"),
    ("ES", 5, "es", "emea", "+346XXXXXXXX", "Madrid:Madrid:Europe/Madrid;"
     "Barcelona:Catalonia:Europe/Madrid"),
    ("SE", 3, "se", "emea", "+467XXXXXXXX", "Stockholm:Stockholm:Europe/Stockholm"),
]]
COUNTRY_CUM = [sum(c[1] for c in COUNTRIES[: i + 1]) for i in range(len(COUNTRIES))]
EMPLOYEES = [(10, 49)] * 4 + [(50, 199)] * 4 + [(200, 999)] * 3 + [(1000, 4999), (5000, 20000)]
TEAMS = [("emea", "Qualifiers EMEA", "Europe/London"),
         ("americas", "Qualifiers Americas", "America/New_York")]
# username, first, last, role, team region: the first of each role is the printed login.
USERS = [tuple(user.split(",")) for user in _words(
    "qualifier,Nina,Keller,qualifier,emea|qualifier2,Tom,Baker,qualifier,emea|"
    "qualifier3,Ines,Moreau,qualifier,emea|qualifier4,Jan,de Vries,qualifier,emea|"
    "qualifier5,Maya,Brooks,qualifier,americas|qualifier6,Carlos,Ruiz,qualifier,americas|"
    "qualifier7,Jordan,Price,qualifier,americas|qualifier8,Aisha,Grant,qualifier,americas|"
    "sales,Rita,Moreno,sales,|sales2,Ben,Hartley,sales,|sales3,Klara,Weiss,sales,|"
    "sales4,Sam,Okoye,sales,|manager,Paula,Lindqvist,manager,|"
    "marketing,Marco,Bianchi,marketing,|admin,Ada,Admin,admin,"
)]
# How quickly each qualifier first answers a new lead: the median pause, in
# minutes of their working time, before the first call on an ordinary inbound
# lead. Nina is the team's sprinter, Jan lets leads wait.
RESPONSE_MINUTES = {"qualifier": 1.5, "qualifier2": 7, "qualifier3": 12, "qualifier4": 55,
                    "qualifier5": 4, "qualifier6": 9, "qualifier7": 22, "qualifier8": 30}
# ... times this, by SLA segment: hot requests jump the queue, imported lists
# wait for a calling session, a lead back from nurture is an ordinary one.
SEGMENT_PACE = {"hot_inbound": 0.4, "inbound": 1.0, "imported": 6.0, "returned": 1.2}
# name, kind, share of leads, cost per lead (USD), [(campaign, share of the source)].
# What a lead costs by kind: the website's own traffic next to nothing (hosting
# and tools), a purchased list little per name, partners a referral fee, paid
# search and social a lot, a booth at an event most of all.
SOURCES = [
    ("Website", "web", 0.28, 4, [("Website: demo requests", 0.55),
                                 ("Content: guides and webinars", 0.45)]),
    ("Google Ads", "paid", 0.22, 180, [("Google Ads: brand", 0.4),
                                       ("Google Ads: competitor terms", 0.6)]),
    ("LinkedIn Ads", "paid", 0.15, 260, [("LinkedIn: RevOps leaders", 0.5),
                                         ("LinkedIn: webinar promotion", 0.5)]),
    ("Events", "event", 0.12, 350, [("SaaStr Annual booth", 0.5),
                                    ("Regional roadshow", 0.5)]),
    ("Partners", "partner", 0.10, 70, [("Reseller program", 0.6),
                                       ("Co-marketing with integrators", 0.4)]),
    ("Purchased lists", "list", 0.13, 25, [("List: mid-market IT buyers", 0.5),
                                           ("List: EMEA finance leaders", 0.5)]),
]
# Source quality: (chance an inquiry becomes a marketing-qualified lead,
# chance a worked lead is qualified). Weighted over SOURCES: about 0.52 and 0.25.
QUALITY = {"web": (0.62, 0.27), "paid": (0.49, 0.24), "event": (0.5, 0.23),
           "partner": (0.66, 0.32), "list": (0.28, 0.15)}
CHANNELS = {"web": ["form"], "paid": ["form", "form", "form", "api"], "event": ["import"],
            "partner": ["api"], "list": ["import"]}
UTM = {"web": ("website", "organic"), "paid": ("ads", "cpc"), "event": ("event", "booth"),
       "partner": ("partner", "referral"), "list": ("list", "import")}
FORMS = ["demo-request", "contact-sales", "whitepaper", "webinar", "pricing", "newsletter"]
MESSAGES = _words(
    "|We need a better way to follow up on inbound leads.|Looking for pricing for 20 seats.|"
    "Can you integrate with our CRM?|Our SDR team is growing, we need routing.|"
    "Please send the case study.|We are evaluating tools this quarter."
)
# Reasons, each with its weight: how often qualifiers and reps give it.
NURTURE_EARLY = _weighted("Low fit score: nurture=30|Early research, no project yet=35|"
                          "Content download only: nurture=28|Student project: newsletter only=7")
DISQUALIFY_EARLY = _weighted("Student or job seeker=20|Competitor=5|Spam or fake details=22|"
                             "Company too small (under 10 employees)=25|Outside our markets=16|"
                             "Duplicate submission=12")
NURTURE_WORKING = _weighted("Timing: not before next fiscal year=28|"
                            "Budget frozen until next quarter=22|Champion left; re-engage later=8|"
                            "Interested, not a priority this year=30|"
                            "Renewal with current vendor in 9 months=12")
DISQUALIFY_WORKING = _weighted("No need: happy with current solution=24|"
                               "Unreachable after 8 attempts=30|No budget, no plans to buy=16|"
                               "Wrong person, no referral=12|Bought a competitor last quarter=10|"
                               "Unreachable: wrong number=8")
DISQUALIFY_NURTURE = _weighted("Unsubscribed from nurture=38|Email bounced=14|"
                               "No engagement in 6 months=48")
# Sales rejects a handoff: the reason from the list (handoff.RejectReason) and
# what the rep wrote.
REJECTS = [(code, text, weight) for code, text, weight in [
    ("bad_timing", "Timeline over 6 months", 27), ("no_budget", "Budget not confirmed", 22),
    ("not_a_fit", "Not the decision maker", 18), ("not_a_fit", "Need too vague", 12),
    ("duplicate_opportunity", "Already in an open opportunity", 9),
    ("other", "Outside my territory", 12)]]
REJECT_REASONS = _weighted("|".join(f"{text}={weight}" for _code, text, weight in REJECTS))
LOST_REASONS = _weighted("Chose a competitor=27|No decision: went dark=31|Price too high=14|"
                         "Project cancelled=8|Missing feature=11|Budget cut=9")
NEEDS = _words("Route inbound leads within minutes|Replace spreadsheets for lead follow-up|"
               "Hand off qualified leads to sales with context|Measure cost per qualified lead|"
               "Nurture long-term leads across channels")
# BANT answers by verdict: budget, authority, timeframe.
ANSWERS = {verdict: [_words(text) for text in texts] for verdict, texts in {
    "sales_ready": ["Approved for this year|Budget confirmed, $20-50k|In next quarter's budget",
                    "decision maker|signs off with the CFO|leads the evaluation",
                    "This quarter|Within 3 months|Within 6 months"],
    "long_term": ["No budget before next fiscal year|Budget under review",
                  "influencer|researching for their manager", "Next fiscal year|6-12 months"],
    "not_a_fit": ["No budget|Far below our minimum", "no buying role|end user", "None|Unknown"],
}.items()}
PAINS = _words("Leads wait hours for a first call|No visibility on follow-up|"
               "Sales complains about lead quality|Marketing cannot prove ROI|"
               "Duplicates across tools|Manual routing in spreadsheets")
BUYING_PLANS = _words("Demo with the team, trial, decision by quarter end|"
                      "Compare two vendors, then procurement review|"
                      "Pilot with one team, roll out after 60 days")
NOTES = _words("Interested, wants pricing|Asked for a demo next week|Using spreadsheets today|"
               "Call back after board meeting|Evaluating two vendors|Good fit, engaged")
TOUCH_CHANNELS = ["call"] * 11 + ["email"] * 5 + ["voicemail", "voicemail", "social", "sms"]
DISPOSITIONS = {"call": ["connected"] * 5 + ["no_answer"] * 7 + ["voicemail_left"] * 4 + [
    "busy", "gatekeeper", "gatekeeper", "call_back", "wrong_number", "not_interested"],
    "email": ["sent"] * 6 + ["replied"], "social": ["sent"] * 4 + ["replied"],
    "sms": ["sent"] * 5 + ["replied"], "voicemail": ["voicemail_left"]}
# Open next step per desk stage: titles and how long after the last move it is due.
NEXT_STEPS = {
    INQUIRY: (["First call (new inquiry)"], 5 * MINUTE),
    MQL: (["First call: new MQL", "Research the account, then call"], HOUR),
    WORKING: (["Follow-up call", "Send the case study", "Call back as agreed",
               "Try another channel"], 2 * DAY),
    REJECTED: (["Review sales feedback and recycle"], DAY),
}


def company_name(index: int, rng: random.Random, country: str) -> tuple[str, str, str]:
    """Name, domain (without TLD) and industry of the account number `index`.
    A fixed stride scrambles the order; past the list size a number keeps it unique."""
    size = len(PREFIXES) * len(CORES) * len(DOMAIN_FORMS)
    mixed = (index * 7919) % size
    prefix, rest = PREFIXES[mixed % len(PREFIXES)], mixed // len(PREFIXES)
    (core, industry), form = CORES[rest % len(CORES)], DOMAIN_FORMS[rest // len(CORES)]
    suffix = str(index // size + 1) if index >= size else ""
    domain = form.format(f"{prefix}{core}".lower()) + suffix
    return f"{prefix} {core} {rng.choice(LEGAL_FORMS[country])}", domain, industry


def phone(pattern: str, rng: random.Random) -> str:
    return "".join(str(rng.randint(2, 9)) if ch == "N" else str(rng.randint(0, 9))
                   if ch == "X" else ch for ch in pattern)
