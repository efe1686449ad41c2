/**
 * The word lists the rules read: weather cues and the aspect each one points to, phrases that
 * only look like weather, topics that make a message something else, and the everyday words
 * that are never part of a place name.
 */
import type { Aspect } from '../core/domain';
import { compile, type PhraseRule } from './phrases';

/**
 * How a cue may be used. `strong` words make a message a weather question on their own;
 * `weak` ones ("hot", "jacket", "sun") need a weather frame around them ("is it", a time, a place).
 * An `adjective` cue does not count when it qualifies a noun ("hot dog", "cold brew") or is one
 * ("a cold"); a `clothing` cue counts when something is to be worn or brought. A `wearing` cue
 * ("what should I wear") is weak, and gives its aspect only when no garment or other cue names one.
 */
export type CueStrength = 'strong' | 'weak' | 'adjective' | 'clothing' | 'wearing';

export interface Cue {
  aspect: Aspect;
  strength: CueStrength;
}

function cues(aspect: Aspect, strength: CueStrength, words: string): [string, Cue][] {
  return words
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => [word, { aspect, strength }]);
}

// prettier-ignore -- a word list by aspect and strength, one line per kind, easier to scan than Prettier's layout
export const CUE_WORDS = new Map<string, Cue>([
  ...cues(
    'general',
    'strong',
    `weather forecast forecasts forecasted forecasting meteo fog foggy haze hazy misty smog smoggy visibility`,
  ),
  // The sky: sunshine and cloud ask what the sky looks like (its condition), not for the sun's times or its UV.
  ...cues(
    'general',
    'strong',
    'sunny sunnier sunniest sunshine sunshiny cloudy cloudier clouds cloud cloudless overcast',
  ),
  ...cues('general', 'weak', 'conditions outlook outside skies clear sun'),
  ...cues('general', 'adjective', 'grey gray gloomy dreary bright'),
  ...cues(
    'rain',
    'strong',
    `rain rains raining rained rainy rainfall rainstorm raincoat raincoats umbrella umbrellas
    brolly drizzle drizzling drizzly thunder thunderstorm thunderstorms thundering thunderstorming lightning
    downpour downpours pouring precipitation precip showers showery monsoon hail hailing hailstorm storm storms
    stormy storming stormin wellies galoshes`,
  ),
  ...cues('rain', 'weak', 'wet pour shower sprinkle sprinkles sprinkling'),
  ...cues(
    'snow',
    'strong',
    `snow snows snowing snowed snowy snowfall snowstorm snowflakes blizzard blizzards
    flurries flurry sleet sleeting slush snowfalls`,
  ),
  ...cues(
    'temperature',
    'strong',
    `temperature temperatures temp temps freezing chilly heatwave frost frosty
    frigid scorching scorcher sweltering thermometer windchill highs lows`,
  ),
  ...cues('temperature', 'weak', 'degrees degree heat icy chill freeze'),
  ...cues(
    'temperature',
    'adjective',
    `hot cold warm cool cooler warmer colder hotter mild nippy toasty balmy
    boiling baking`,
  ),
  ...cues(
    'temperature',
    'clothing',
    `jacket jackets coat coats sweater sweaters hoodie jumper shorts scarf gloves
    mittens layers parka tshirt tshirts t-shirt t-shirts beanie hat hats sandals boots fleece
    cardigan thermals sleeves windbreaker`,
  ),
  ...cues('temperature', 'wearing', 'wear wearing dress dressed'),
  ...cues(
    'wind',
    'strong',
    `wind winds windy gust gusts gusty breezy blustery gale gales tornado tornadoes
    hurricane typhoon cyclone`,
  ),
  ...cues('wind', 'weak', 'breeze'),
  ...cues('humidity', 'strong', 'humid humidity muggy dewpoint sultry clammy'),
  ...cues('humidity', 'weak', 'sticky dew damp moisture steamy sweaty'),
  ...cues('sun', 'strong', 'sunscreen sunblock suncream sunrise sunset sundown sunup uv daylight sunburn sunglasses'),
  ...cues('sun', 'weak', 'dawn dusk'),
]);

/** Several-word cues, read before single words ("freezing rain" is rain, not temperature). */
export const CUE_PHRASES: PhraseRule<Cue>[] = [
  ['freezing rain', 'rain', 'strong'],
  ['rain jacket|coat', 'rain', 'strong'],
  ['wind chill', 'temperature', 'strong'],
  ['feels|feel like', 'temperature', 'weak'],
  ['real feel', 'temperature', 'strong'],
  ['heat index|wave', 'temperature', 'strong'],
  ['the high|low', 'temperature', 'strong'],
  ['high|low temperature|temp', 'temperature', 'strong'],
  ['dew point', 'humidity', 'strong'],
  ['uv index', 'sun', 'strong'],
  ['sun rise|rises|rising|set|sets|setting|up|down', 'sun', 'strong'],
  ['how strong|intense|harsh is the sun', 'sun', 'strong'],
  ['sun strong|intense|harsh|strength|intensity', 'sun', 'strong'],
  ['strong|intense|harsh sun', 'sun', 'strong'],
  ['sun come|comes|coming|be out', 'general', 'strong'],
  ['blue|grey|gray sky|skies', 'general', 'strong'],
  ['sunny spells|intervals|periods', 'general', 'strong'],
  ['clear|clearing|brighten|brightening up', 'general', 'weak'],
  ['flip flops|flop', 'temperature', 'clothing'],
  ['bundle up', 'temperature', 'clothing'],
  ['golden hour', 'sun', 'strong'],
  ['wind speed|speeds', 'wind', 'strong'],
  ['clear skies|sky', 'general', 'strong'],
  ['barometric|air pressure', 'general', 'strong'],
  ['nice|beautiful|lovely|good out|outside', 'general', 'weak'],
  ['nice|beautiful|lovely day', 'general', 'weak'],
  ['below|above zero|freezing', 'temperature', 'strong'],
  ['below|above <n>', 'temperature', 'weak'],
  ['like outside|out', 'general', 'weak'],
  ['be like', 'general', 'weak'],
].map(([pattern, aspect, strength]) =>
  compile(pattern, { aspect: aspect as Aspect, strength: strength as CueStrength }),
);

/** The cues that name weather in general (used to recognise "Tokyo weather", "weather Tokyo"). */
export const WEATHER_NOUNS = new Set(['weather', 'forecast', 'forecasts', 'conditions', 'outlook']);

/** Phrases that contain a weather word but are about something else; ignored entirely. */
export const IDIOMS: PhraseRule<true>[] = [
  'under the weather',
  'rain check',
  'raincheck',
  'purple rain',
  'make it rain',
  'right as rain',
  'snow white',
  'jon snow',
  'steal my thunder',
  'weather the storm',
  'brainstorm',
  'storm off',
  'wind down',
  'wind up',
  'winding down',
  'cool cool',
  'cool thanks',
  'so cool',
  'that is cool',
  'thats cool',
  'its cool',
  'how cool',
  'weatherbot',
  'weather bot',
  'weather-bot',
  'weather app',
  'weather channel',
  'weatherman',
  'weather girl',
  'good morning|afternoon|evening|night|day',
  'hot take',
  'hot mess',
  'in hot water',
  'cold shoulder',
  'break the ice',
  'ice cream',
  'ice hockey',
  'sun microsystems',
  'sunday best',
  'dew drop',
  'cold case',
  'cold war',
  'blow hot and cold',
  'sunny side up',
  'dress code',
  'hat trick',
  'bright side',
].map((pattern) => compile(pattern, true as const));

/** Greetings that open a message with a time-of-day word ("Morning!", "Evening all"). */
export const GREETING_WORDS = new Set(['morning', 'evening', 'afternoon', 'night', 'nite', 'mornin']);

/** Topics that make a message something other than a weather question, whatever words it uses. */
export const OFF_TOPIC = new Set([
  'joke',
  'jokes',
  'poem',
  'poems',
  'haiku',
  'song',
  'songs',
  'lyrics',
  'lyric',
  'sing',
  'sings',
  'story',
  'stories',
  'translate',
  'translation',
  'mean',
  'meaning',
  'means',
  'define',
  'definition',
  'spell',
  'spelling',
  'synonym',
  'remind',
  'reminder',
  'recommend',
  'recommendation',
  'recommendations',
  'brand',
  'brands',
  'buy',
  'purchase',
  'cost',
  'costs',
  'price',
  'prices',
  'cheap',
  'cheapest',
  'population',
  'traffic',
  'pizza',
  'restaurant',
  'restaurants',
  'hotel',
  'hotels',
  'causes',
  'caused',
  'explain',
  'movie',
  'movies',
  'stock',
  'stocks',
  'rent',
  'currency',
  'mayor',
  'president',
  'election',
  'timezone',
  'zip',
  'distance',
  'recipe',
  'job',
  'jobs',
  'agency',
  'album',
  'difference',
  'climate',
  'season',
  'seasons',
  'api',
  'app',
  'website',
  'provider',
  'fact',
  'facts',
  'trivia',
  'history',
  'form',
  'forms',
  'formed',
  'suggest',
  'suggestion',
  'suggestions',
  'favorite',
  'favourite',
  'sale',
  'sales',
  'discount',
]);
/** Topics that rule out a message carried only by weak cues ("what's hot in tech news"). */
export const WEAK_OFF_TOPIC = new Set(['news', 'game', 'match', 'team', 'playoffs', 'score', 'film', 'band', 'show']);
/** Phrases that make a message something else ("how do you say rain in Spanish"). */
export const OFF_TOPIC_PHRASES: PhraseRule<true>[] = [
  'how do you say',
  'how do i say',
  'how far',
  'time zone',
  'who is|was|are|sings|sang|wrote|won',
  'hear|heard about',
  'why do|does',
].map((pattern) => compile(pattern, true as const));

/** Words that, at the start of a clause, make it a question or a request. */
export const QUESTION_STARTERS = new Set([
  'is',
  'isnt',
  'will',
  'wont',
  'would',
  'should',
  'shall',
  'could',
  'can',
  'does',
  'do',
  'did',
  'are',
  'any',
  'might',
  'may',
  'gonna',
  'has',
  'have',
]);
export const QUESTION_WORDS = new Set([
  'what',
  'whats',
  'how',
  'hows',
  'when',
  'whens',
  'where',
  'wheres',
  'which',
  'whether',
  'wondering',
  'wonder',
  'curious',
  'know',
  'tell',
  'check',
  'lookup',
  'need',
  'want',
  'wanna',
  'please',
  'predict',
]);
/** Words that open a remark rather than a question ("I love the rain", "it's so hot"). */
export const REMARK_OPENERS = new Set([
  'i',
  'im',
  'ive',
  'id',
  'ill',
  'we',
  'were',
  'weve',
  'it',
  'its',
  'itll',
  'that',
  'thats',
  'this',
  'these',
  'those',
  'the',
  'my',
  'our',
  'your',
  'you',
  'youre',
  'he',
  'she',
  'they',
  'theres',
  'there',
  'lol',
  'lmao',
  'haha',
  'ugh',
  'brr',
  'brrr',
  'wow',
  'omg',
  'damn',
  'man',
  'love',
  'hate',
  'great',
  'nice',
  'cool',
  'awesome',
  'thanks',
  'thank',
  'yeah',
  'yes',
  'no',
  'nah',
  'so',
  'just',
  'weather',
  'weathers',
  'snow',
  'rain',
]);
/** Verbs that make a remark a statement ("the weather was awful"). */
export const REMARK_VERBS = new Set([
  'is',
  'was',
  'are',
  'were',
  'am',
  'been',
  'love',
  'loved',
  'loves',
  'hate',
  'hated',
  'hates',
  'like',
  'liked',
  'likes',
  'looks',
  'looked',
  'feels',
  'felt',
  'seems',
  'got',
  'gets',
  'has',
  'have',
  'had',
  'thanks',
  'thank',
  'im',
  'its',
  'thats',
  'theres',
  'ive',
  'youre',
  'think',
  'guess',
  'hope',
  'wish',
  'miss',
  'enjoy',
  'enjoyed',
  'heard',
  'saw',
  'sucks',
  'rocks',
  'rules',
  'makes',
  'made',
  'killing',
  'getting',
]);

/** Prepositions after which a place name follows: "in Tbilisi", "for Paris", "near Boston". */
export const PLACE_PREPOSITIONS = new Set(['in', 'at', 'for', 'near', 'around', 'over', 'across', 'of', 'within']);
/** Words after which only a capitalised or known name is a place ("to Denver", but "going to rain"). */
export const MOTION_WORDS = new Set([
  'to',
  'into',
  'towards',
  'from',
  'visiting',
  'visit',
  'via',
  'outside',
  'leaving',
]);

/** Lower-case words that may sit inside a place name: "Rio de Janeiro", "Frankfurt am Main". */
export const NAME_PARTICLES = new Set([
  'de',
  'da',
  'do',
  'dos',
  'das',
  'del',
  'della',
  'di',
  'du',
  'des',
  'la',
  'le',
  'les',
  'am',
  'an',
  'der',
  'den',
  'upon',
  'on',
  'sur',
  'en',
  'y',
  'of',
  'im',
  'bei',
  'op',
  'aan',
  'van',
  'von',
  'el',
  'los',
  'las',
]);

/** Generic place words: part of a name ("Salt Lake City", "Long Beach") but never a place alone. */
export const GENERIC_PLACE_WORDS = new Set([
  'city',
  'town',
  'area',
  'place',
  'region',
  'country',
  'state',
  'county',
  'province',
  'neighborhood',
  'neighbourhood',
  'downtown',
  'uptown',
  'suburbs',
  'beach',
  'coast',
  'park',
  'lake',
  'mountain',
  'mountains',
  'hills',
  'valley',
  'island',
  'islands',
  'airport',
  'village',
  'center',
  'centre',
  'district',
  'harbor',
  'harbour',
  'bay',
  'river',
  'forest',
  'desert',
  'countryside',
  'north',
  'south',
  'east',
  'west',
  'northern',
  'southern',
  'eastern',
  'western',
  'central',
  'upper',
  'lower',
  'new',
  'old',
  'great',
  'little',
  'big',
  'saint',
  'st',
  'mt',
  'port',
  'fort',
  'springs',
  'falls',
  'heights',
  'point',
  'creek',
  'canyon',
  'peak',
  'ocean',
  'sea',
  'sky',
  'sun',
  'long',
  'high',
  'low',
  'bad',
  'red',
  'white',
  'black',
  'green',
  'blue',
  'grand',
]);

/**
 * Everyday words that are never part of a place name typed in lower case. (Generic place words
 * and adjectives found in names, "great", "little", "beach", are in GENERIC_PLACE_WORDS instead.)
 */
export const STOP_WORDS = new Set(
  `
  a an the this that these those some any all every each no none other another such what whats which who whos whom
  whose how hows when whens where wheres why whys whether if then than so too very really quite pretty just only
  also again still even ever already yet soon much many more most less least few lot lots bit kinda sorta
  i im ive id ill me my mine myself we were weve well us our ours you youre youll youd your yours yall ya he hes
  him his she shes her hers it its itll itd they theyre them their there theres here heres
  is isnt are arent was wasnt be been being am do does doesnt did didnt done doing have has had having
  will wont would wouldnt shall should shouldnt can cant could couldnt may might must ought gonna gotta wanna
  going goin go goes went get gets got getting gettin need needs needed want wants wanted like likes liked
  look looks looking lookin looked see seeing seen know knows knew tell telling show showing give giving
  check checking find finding make making take taking bring bringing wear wearing pack packing put keep
  expect expected expecting predicted forecasted say says said think thinks thought guess hope wish wonder wondering
  come comes coming came leave leaving stay staying plan planning visit visiting fly flying drive driving
  head heading travel traveling travelling move moving walk walking run running ride riding try trying use using
  let lets help feel feels felt seem seems happen happening happens turn turns start starts stop stops
  and or but nor because cause cuz bc since though tho although while until till til unless plus vs versus
  of in on at to for from by with without about above below over under into onto off out outside inside up down
  near around across through during before after between within along among upon toward towards via per
  please thanks thank thankyou cheers hey hi hello yo sup hiya howdy ok okay k kk alright sure yes yeah yep yup
  no nah nope lol lmao lmfao rofl haha hahaha hehe omg wow ugh hmm hm um uh oh ah bruh bro dude man mate guys
  folks fam buddy pal sir maam boss friend honey babe dear bot weatherbot assistant everyone everybody anyone
  anybody someone somebody nobody people
  good nice awful terrible lovely beautiful gorgeous crazy weird wild insane decent fine perfect
  ideal best worst better worse current latest local general typical usual normal expected possible likely
  same different whole full real actual exact quick short small strong heavy light hard soft
  cold hot warm cool fresh torrential scattered isolated severe extreme record major minor massive huge tiny
  gentle steady constant sudden flash gear
  day days week weeks month months year years hour hours minute minutes time times date today tonight tomorrow
  morning afternoon evening night weekend season moment while
  chance chances odds percent probability risk amount level levels index info information details data summary
  report update updates status situation question answer help forecast weather conditions outlook
  alert alerts warning warnings advisory advisories watch radar map maps service station channel app
  home house office work school campus bed backyard garden yard inside indoors outdoors
  trip hike picnic bbq barbecue golf tennis soccer football baseball basketball game match
  concert wedding festival party flight drive commute ride outing date dinner lunch breakfast
  kids dog dogs car bike laundry washing gardening plants event events errands
  january february march april may june july august september october november december
  spring summer autumn fall winter
  asap rn atm btw fyi imo idk tbh pls plz thx ty np wise
  either neither both exactly actually currently probably maybe perhaps definitely basically literally
  everywhere somewhere anywhere nowhere
  one two three four five six seven eight nine ten
  yesterday later earlier next last previous coming upcoming following
  am pm oclock
`
    .split(/\s+/)
    .filter(Boolean),
);
