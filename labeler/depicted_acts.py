"""The vocabulary of depicted acts, in the words of content-warning practice: what
:mod:`labeler.depictions` matches.

Each category (:data:`CATEGORIES`) has its ``key`` (what ``warning.categories`` holds, for a
newsroom to filter on), its ``wording`` (how a warning line names it) and the phrases that
say it; a phrase may carry a narrower wording of its own ("buried ... alive": "people buried
alive"). Beside them: the phrases that threaten or call for violence
(:data:`THREAT_PHRASES`), and the words that name a child or an animal (the victims rule).

Idioms and homonyms the rubric rules out ("shooting a film", "kill the process", "the
number remains unclear") are left out of the phrases. Phrases are lower-case regular
expressions that start with a literal word (its *stem*), so each is tried only where its
stem occurs, and found by the regex engine's literal scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One depicted act of the vocabulary."""

    key: str  # stable, for filtering: "shooting", "sexual-violence"
    wording: str  # as a warning line names it: "shooting", "sexual violence"
    phrases: tuple[str, ...]  # what says it (lower-case regular expressions)
    named: tuple[tuple[str, str], ...] = ()  # phrases with a narrower wording of their own


_PARTS = (
    r"(?:hands?|heads?|ears?|noses?|fingers?|toes?|tongues?|limbs?|legs?|arms?|feet|foot"
    r"|genitals|lips?|breasts?)"
)
_CUT = r"(?:cut|chopped|hacked|sliced|sawed|sawn|tore|torn|ripped)"

# In the order a warning line names them: the acts most warnings exist for first, then
# the means, then death and its aftermath, then war (context) and threats (warning.py).
CATEGORIES: tuple[Category, ...] = (
    Category(
        "sexual-violence",
        "sexual violence",
        (
            r"rap(?:e|ed|es|ing|ist|ists)(?!\ ?seed)",
            r"gang[- ]?rap(?:e|ed)",
            r"sexual(?:ly)?\ (?:assault(?:ed|s|ing)?|abus(?:e|ed|es|ing)|violence|attacks?"
            r"|exploit(?:ed|ing|ation))",
            r"indecent(?:ly)?\ assault(?:ed)?",
            r"molest(?:ed|ing|ation|er|ers)?",
            r"sex(?:ual)?\ slav(?:es?|ery)",
            r"groped",
            r"forced\ (?:her|him|them)\ (?:to\ have\ sex|into\ sex)",
        ),
    ),
    Category("violence-against-children", "violence against children", ()),  # victims
    Category("animal-cruelty", "animal cruelty", (r"animal\ (?:cruelty|abuse)",)),  # victims
    Category(
        "torture",
        "torture",
        (
            r"tortur(?:e|ed|es|ing|er|ers)",
            r"waterboard(?:ed|ing)?",
            r"electric\ shocks?",
            r"(?:pulled|ripped|torn|tore)\ out\ (?:his|her|their)\ (?:finger)?nails",
            r"burn(?:ed|t)\ (?:him|her|them)\ with\ cigarettes",
        ),
    ),
    Category(
        "mutilation",
        "mutilation",
        (
            r"mutilat(?:e|ed|es|ing|ion|ions)",
            r"dismember(?:ed|ing|ment)?",
            r"decapitat(?:e|ed|ing|ion)",
            r"disembowel(?:l?ed|l?ing)?",
            r"gouged?\ out",
            r"gouging\ out",
            r"(?:eyes?|tongues?)\ (?:were\ |was\ |had\ been\ )?(?:gouged|plucked|ripped|cut)\ out",
            rf"{_CUT}\ off\ (?:(?:his|her|their|the|its)\ )?(?:\w+\ )?{_PARTS}",
            rf"{_PARTS}\ (?:were\ |was\ |had\ been\ )?{_CUT}\ off",
            rf"severed\ {_PARTS}",
            r"skinned\ alive",
            r"hacked\ (?:to\ pieces|apart|limb\ from\ limb)",
        ),
    ),
    Category(
        "burning",
        "burning",
        (
            r"burn(?:ed|t|ing)\ to\ death",
            r"burn(?:ed|t)\ (?:him|her|them|me|us|you)",
            r"set\ (?:\w+\ ){0,3}?(?:on\ fire|alight|ablaze)",
            r"set\ fire\ to\ (?:him|her|them|themselves|himself|herself|the\ (?:man|woman|men"
            r"|women|bodies))",
            r"doused\ (?:\w+\ ){0,4}?(?:in|with)\ (?:petrol|gasoline|kerosene|fuel|acid)",
            r"(?:self-)?immolat(?:e|ed|ion|ing)",
            r"charred",
            r"acid\ attacks?",
        ),
        named=((r"burn(?:ed|t|s|ing)?\ (?:\w+\ ){0,3}?alive", "people burned alive"),),
    ),
    Category(
        "execution",
        "executions",
        (
            r"execut(?:ed|ion|ions|ing|es)(?!\ (?:of\ )?(?:the|a|an|his|her|their|its)\ (?:plan"
            r"|order|orders|contract|code|will|strategy|warrant|program|programme|trade|pass"
            r"|search|project|task|deal|move))",
            r"firing\ squads?",
            r"public\ hangings?",
        ),
        named=((r"behead(?:ed|ing|ings|s)?", "beheading"),),
    ),
    Category(
        "stabbing",
        "stabbing",
        (
            r"stab(?:s|bed|bing|bings)?(?!\ (?:at\ it|in\ the\ (?:back|dark)))",
            r"knifed",
            r"knife\ (?:attacks?|wounds?)",
            r"machete\ attacks?",
            r"hacked\ (?:him\ |her\ |them\ )?to\ death",
            r"(?:drove|plunged|thrust|sank|jammed)\ (?:the|a|her|his|their)\ (?:knife|blade"
            r"|dagger|sword|bayonet)\ into",
        ),
        named=(
            (r"(?:slit|cut|slashed|slitting|cutting)\ (?:\w+\ ){0,2}?throats?", "throat-cutting"),
            (
                r"throats?\ (?:had\ been\ |has\ been\ |was\ |were\ )?(?:cut|slit|slashed)",
                "throat-cutting",
            ),
        ),
    ),
    Category(
        "shooting",
        "shooting",
        (
            r"shoot(?:s|ing|ings|er|ers)?(?!\ (?:a|the)\ (?:film|movie|video|scene|photo"
            r"|commercial|documentary|episode)|\ star)(?<!photo\ shoot)",
            r"shot(?!\ (?:glass|glasses|of\ (?:espresso|whisky|whiskey|vodka|tequila|rum))"
            r"|\ (?:a|the)\ (?:film|movie|video|scene|photo|footage))(?<!mug\ shot)"
            r"(?<!long\ shot)(?<!big\ shot)(?<!flu\ shot)(?<!booster\ shot)",
            r"gunm[ae]n",
            r"gun(?:fire|shots?)",
            r"opened\ fire",
            r"fired\ (?:shots|on|at|into|upon)",
            r"bullets?(?:-riddled)?",
            r"snipers?",
            r"machine-?gunned",
        ),
    ),
    Category(
        "beating",
        "assault",
        (
            r"assault(?<!sexual\ assault)(?<!sexually\ assault)(?<!indecent\ assault)"
            r"(?<!indecently\ assault)(?:ed|s|ing)?(?!\ (?:rifles?|weapons?|course))",
            r"pistol-whipped",
            r"flogg(?:ed|ing)",
            r"whipped\ (?:him|her|them)",
            r"lashes",
        ),
        named=(
            (
                r"beat(?:en|ings?)?(?!\ (?:the\ |a\ |their\ |his\ |her\ )?(?:record|records|odds"
                r"|deadline|heat|traffic|rush|team|champions?|rivals?|clock|drum|competition"
                r"|market|forecasts?|expectations?))",
                "beating",
            ),
            (r"punch(?:ed|ing|es)", "beating"),
            (
                r"kick(?:ed|ing)\ (?:him|her|them|me|us|you|himself|herself|themselves"
                r"|the\ (?:man|woman|men|women|boy|girl|victims?)|(?:his|her|their)\ (?:head"
                r"|face|body|ribs|stomach))",
                "beating",
            ),
            (r"stomp(?:ed|ing)?", "beating"),
            (r"clubbed", "beating"),
            (r"bludgeon(?:ed|ing)?", "beating"),
            (r"batter(?:ed|ing)", "beating"),
            (r"pummel(?:l?ed|l?ing)?", "beating"),
        ),
    ),
    Category(
        "bombing",
        "bombing",
        (
            r"bomb(?:s|ing|ings|ed|er|ers)?(?!\ (?:the|my|an|his|her)\ (?:exam|test|interview"
            r"|audition))",
            r"explosi(?:on|ons|ves?)(?<!population\ explosion)(?!\ growth)",
            r"ieds?",
            r"blew\ (?:himself|herself|themselves|itself)\ up",
            r"blown\ up",
            r"(?:air|drone|missile|rocket)\ ?(?:strikes?|attacks?)",
            r"shelling",
            r"grenades?",
            r"blasts?",
        ),
    ),
    Category(
        "killing",
        "killing",
        (
            r"kill(?:ed|ing|ings|s|er|ers)?(?!\ (?:time|the\ (?:engine|lights?|process|app|mood"
            r"|bill|motion)|it\b|for\ a))(?<!killer\ app)",
            r"murder(?:ed|s|ing|er|ers|ous)?",
            r"slaughter(?:ed|ing)?",
            r"massacre[ds]?",
            r"slain",
            r"slay(?:ing|ings|s)?",
            r"homicides?",
            r"assassinat(?:e|ed|ion|ions)",
            r"hanged",
            r"strangl(?:e|ed|ing)",
            r"dead",
            r"deaths?",
            r"died",
        ),
        named=(
            (r"bur(?:y|ies|ied|ying)\ (?:\w+\ ){0,4}?alive", "people buried alive"),
            (r"lynch(?:ed|ing|ings)?", "lynching"),
        ),
    ),
    Category(
        "bodies",
        "dead bodies",
        (
            r"corpses?",
            r"(?:dead|charred|burnt|burned|mutilated|decomposed|decomposing|bloated|headless"
            r"|lifeless|mangled|bullet-riddled|severed)\ (?:bod(?:y|ies)|heads?)",
            r"bodies(?<!governing\ bodies)(?<!student\ bodies)(?<!public\ bodies)",
            r"(?:human|charred|skeletal|mortal)\ remains",
            r"remains\ (?:of\ (?:the\ )?(?:dead|victims?|bodies|people|men|women|children"
            r"|soldiers)|were\ (?:found|recovered|identified|buried))",
            r"mass\ graves?",
            r"skulls?",
            r"skeletons?",
        ),
        named=((r"body\ parts", "body parts"),),
    ),
    Category(
        "blood",
        "blood and wounds",
        (
            r"blood(?:y|ied|stained|-stained|-soaked|soaked)?(?!\ (?:pressure|tests?|sugar|donors?"
            r"|donations?|type|bank|cells?|vessels?|relatives?|hell|well|idiot|orange|moon))"
            r"(?<!cold\ blood)",
            r"bleed(?:ing|s)?",
            r"bled",
            r"gash(?:es|ed)?",
            r"wounds?(?!\ up|\ down)",
            r"gore",
            r"gory",
            r"guts",
            r"entrails",
            r"intestines",
            r"innards",
            r"brains\ (?:were\ |was\ )?(?:spilled|splattered|blown\ out)",
            r"(?:skulls?|bones?|jaws?|ribs?|nose|teeth)\ (?:was\ |were\ |had\ been\ )?(?:split"
            r"|smashed|crushed|shattered|broken|fractured|caved\ in|knocked\ out)",
            r"broken\ bones",
            r"flesh\ (?:wounds?|was|torn|ripped|burned|burning|hanging)",
            r"(?:torn|burned|burnt|rotting|exposed|charred|bloody)\ flesh",
        ),
    ),
    Category(
        "war",
        "war",
        (
            r"wars?(?<!price\ war)(?<!culture\ war)(?<!star\ wars)(?<!bidding\ war)"
            r"(?!\ of\ words|\ room)",
            r"warfare",
            r"battles?(?!\ (?:with|against)\ (?:cancer|illness|addiction|depression))"
            r"(?<!legal\ battle)(?<!court\ battle)(?<!custody\ battle)",
            r"battlefields?",
            r"front\ ?lines?",
            r"combat(?!\ (?:climate|poverty|crime|fraud|inflation|disinformation))",
            r"insurgency",
            r"armed\ conflicts?",
            r"(?:military|ground)\ (?:offensive|operations?|assault)",
            r"launched\ (?:an|the|a)\ (?:\w+\ )?offensive",
            r"invasion",
            r"(?:heavy|fierce)\ fighting",
        ),
    ),
    Category("threats", "threats of violence", ()),  # the threats rule
)
BY_KEY = {c.key: c for c in CATEGORIES}
CHILDREN, ANIMALS, THREATS, WAR = "violence-against-children", "animal-cruelty", "threats", "war"

# A threat names its target: "I will kill you", "we will bury them", not "we will bury our dead".
_THREATENED = (
    r"(?:kill|shoot|stab|murder|hurt|beat|burn|rape|slit|cut|gut|behead|hang|bomb|blow|break"
    r"|strangle|choke|skin|bury|slaughter|butcher|torture|execute|lynch|smash|bash"
    r"|put\ a\ bullet\ (?:in|through))"
    r"\ (?:you|ya|him|her|them|'em|your|his|their|every|all|each|any|anyone|everyone)\b"
)
_SPEAKER = (
    *("i'll", "i will", "i shall", "i'm going to", "i am going to", "i'm gonna"),
    *("we'll", "we will", "we shall", "we're going to", "we are going to", "we're gonna"),
)
THREAT_PHRASES: tuple[str, ...] = (
    *(re.escape(s) + r"\b(?:\W+\w+){0,6}?\W+" + _THREATENED for s in _SPEAKER),
    r"(?:someone|somebody|people|they|you)\ (?:should|needs?\ to|ought\ to|must)\ (?:\w+\ ){0,2}?"
    + _THREATENED,
    r"you(?:'re|\ are)?\ (?:going\ to|gonna)\ (?:die|bleed)",
    r"you(?:'ll|\ will)\ (?:die|bleed)",
    r"you(?:'re|\ are)\ (?:a\ )?dead(?:\ (?:man|woman|meat))?",
    r"(?:should|must|ought\ to|deserve\ to|need\ to|needs\ to)\ (?:all\ )?(?:be\ )?(?:shot|hanged"
    r"|hung|killed|executed|burned|burnt|beheaded|lynched|strung\ up|beaten|stoned|gassed"
    r"|exterminated|die)",
    r"(?:string|hang)\ (?:them|him|her|'em|em)\ (?:all\ )?up",
    r"death\ threats?",
    r"threat(?:s|ened|ening)?\ (?:to|of)\ (?:\w+\ )?(?:kill|shoot|murder|rape|behead|bomb|attack"
    r"|harm|burn|stab|hurt|execute|violence|death)\w*",
    r"threatened\ (?:him|her|them|us|me|you)\ with\ (?:a\ |an\ )?(?:gun|knife|machete|death"
    r"|violence)",
    r"take\ up\ arms",
    r"death\ to\ (?:all\ )?(?:the\ )?\w+",
    r"we(?:'re|\ are)\ coming\ for\ you",
)
# The victims rule: words that name a child (an age under 18 too) or an animal.
NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    " fifteen sixteen seventeen"
).split()
CHILD = re.compile(
    r"\b(?:child|children|kids?|bab(?:y|ies)|infants?|toddlers?|newborns?|schoolchildren"
    r"|school(?:boy|girl)s?|minors?|boys?|girls?"
    r"|(\d+|" + "|".join(NUMBER_WORDS) + r")[- ](?:year|month)s?[- ]old)\b"
)
CHILD_STEMS = set("child kid bab infant toddler newborn school minor boy girl old".split())
ANIMAL_STEMS = set(
    "dog pupp cat kitten horse donkey cow cattle sheep goat pig animal pet bird chicken monkey"
    " elephant rhino".split()
)
# A child named as someone's family or as a witness, not as who was harmed.
NOT_VICTIM = re.compile(
    r"\b(?:(?:father|mother|parents?|dad|mum|mom)\ of|in\ front\ of|survived\ by"
    r"|leaves(?:\ behind)?|left\ behind)\ (?:\w+\ )?$"
)
ANIMAL = re.compile(
    r"\b(?:dogs?|pupp(?:y|ies)|cats?|kittens?|horses?|donkeys?|cows?|cattle|sheep|goats?"
    r"|pigs?|animals?|pets?|birds?|chickens?|monkeys?|elephants?|rhinos?)\b"
)
