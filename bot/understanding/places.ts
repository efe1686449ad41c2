/**
 * Place knowledge: nicknames people use for cities, a gazetteer of well-known cities (to spot
 * them without a preposition and to keep multi-word names together), region qualifiers
 * (states, provinces, countries) and how a typed name is written back.
 * Unknown places are found from context by ./location; these lists only help.
 */
import { keyOf } from '../core/text';
import { NAME_PARTICLES } from './lexicon';

/** Nicknames and abbreviations -> the canonical name to geocode. Keys are token keys joined by spaces. */
export const NICKNAMES: Record<string, string> = {
  nyc: 'New York',
  ny: 'New York',
  'new york city': 'New York',
  'big apple': 'New York',
  'the big apple': 'New York',
  philly: 'Philadelphia',
  sf: 'San Francisco',
  'san fran': 'San Francisco',
  frisco: 'San Francisco',
  la: 'Los Angeles',
  'city of angels': 'Los Angeles',
  vegas: 'Las Vegas',
  'sin city': 'Las Vegas',
  nola: 'New Orleans',
  'big easy': 'New Orleans',
  'the big easy': 'New Orleans',
  nawlins: 'New Orleans',
  dc: 'Washington',
  chitown: 'Chicago',
  'chi-town': 'Chicago',
  'chi town': 'Chicago',
  chi: 'Chicago',
  'windy city': 'Chicago',
  'the windy city': 'Chicago',
  beantown: 'Boston',
  'motor city': 'Detroit',
  'the motor city': 'Detroit',
  motown: 'Detroit',
  atl: 'Atlanta',
  hotlanta: 'Atlanta',
  kl: 'Kuala Lumpur',
  hk: 'Hong Kong',
  bkk: 'Bangkok',
  htown: 'Houston',
  'h-town': 'Houston',
  'emerald city': 'Seattle',
  'the emerald city': 'Seattle',
  'mile high city': 'Denver',
  'the mile high city': 'Denver',
  'twin cities': 'Minneapolis',
  'the twin cities': 'Minneapolis',
  mpls: 'Minneapolis',
  slc: 'Salt Lake City',
  okc: 'Oklahoma City',
  stl: 'St. Louis',
  pdx: 'Portland',
  phx: 'Phoenix',
  abq: 'Albuquerque',
  dfw: 'Dallas',
  indy: 'Indianapolis',
  cincy: 'Cincinnati',
  jax: 'Jacksonville',
  cdmx: 'Mexico City',
  joburg: 'Johannesburg',
  jozi: 'Johannesburg',
  rio: 'Rio de Janeiro',
  brum: 'Birmingham',
  mtl: 'Montreal',
  'big smoke': 'London',
};
/**
 * Nicknames that are also ordinary words or region codes ("la", "ny", "dc"): a place only when
 * typed in capitals, after "in/for/at…", or next to a weather word.
 */
export const AMBIGUOUS_NICKNAMES = new Set(['la', 'chi', 'ny', 'dc']);
/** Nicknames that are also region codes: after a city name they are its region ("Albany, NY"). */
export const REGION_CODE_NICKNAMES = new Set(['la', 'ny', 'dc']);

/**
 * Well-known cities. Helps with names typed in lower case without a preposition ("tokyo rain
 * tomorrow") and keeps multi-word names whole.
 */
const KNOWN_PLACES = `
New York|Los Angeles|San Francisco|San Diego|San José|San Antonio|Las Vegas|New Orleans|Salt Lake City|Kansas City
Oklahoma City|Jersey City|Quebec City|Mexico City|Panama City|Guatemala City|Ho Chi Minh City|Kuwait City
Vatican City|St. Louis|St. Paul|St. Petersburg|Saint Petersburg|Saint Louis|St. John's|Fort Worth|Fort Lauderdale
Fort Myers|El Paso|La Paz|Las Cruces|Los Alamos|Santa Fe|Santa Monica|Santa Barbara|Santa Cruz|San Juan
San Sebastián|Buenos Aires|Rio de Janeiro|São Paulo|Belo Horizonte|Porto Alegre|Santo Domingo|Ciudad de México
Kuala Lumpur|Hong Kong|Tel Aviv|Abu Dhabi|New Delhi|Cape Town|Port Elizabeth|Addis Ababa|Dar es Salaam
Frankfurt am Main|Newcastle upon Tyne|Stratford-upon-Avon|Stoke-on-Trent|Southend-on-Sea|The Hague|Den Haag
Baton Rouge|Des Moines|Palm Springs|Palm Beach|West Palm Beach|Miami Beach|Long Beach|Virginia Beach|Myrtle Beach
Green Bay|Grand Rapids|Colorado Springs|Cedar Rapids|Sioux Falls|Little Rock|Corpus Christi|Death Valley|Lake Tahoe
Cape Cod|Key West|Park City|Sun Valley|Hot Springs|Niagara Falls|Thunder Bay|Mount Everest|Lake Placid|Big Sur
Long Island|Great Falls|Big Bear|Grand Canyon|Grand Junction|Grand Forks|Red Deer|White Plains|Black Forest
Phnom Penh|Kota Kinabalu|Chiang Mai|Siem Reap|Da Nang|Ulan Bator|Ulaanbaatar|Santa Cruz de Tenerife|Las Palmas
Palma de Mallorca|Ciudad Juárez|Puerto Vallarta|Playa del Carmen|Cabo San Lucas|Mar del Plata|Viña del Mar|Tokyo
Osaka|Kyoto|Sapporo|Seoul|Busan|Beijing|Shanghai|Shenzhen|Guangzhou|Chengdu|Wuhan|Nanjing|Chongqing|Taipei|Bangkok
Singapore|Jakarta|Manila|Hanoi|Saigon|Yangon|Dhaka|Kathmandu|Mumbai|Bombay|Delhi|Bengaluru|Bangalore|Chennai|Kolkata
Hyderabad|Pune|Karachi|Lahore|Islamabad|Kabul|Tehran|Baghdad|Riyadh|Jeddah|Dubai|Doha|Muscat|Amman|Beirut|Jerusalem
Istanbul|Ankara|Cairo|Alexandria|Casablanca|Marrakech|Tunis|Algiers|Lagos|Abuja|Accra|Nairobi|Kampala|Kigali
Johannesburg|Durban|Pretoria|Windhoek|Luanda|Kinshasa|Dakar|Harare|Lusaka|Maputo|London|Paris|Berlin|Madrid|Rome
Milan|Naples|Venice|Florence|Turin|Barcelona|Valencia|Seville|Lisbon|Porto|Amsterdam|Rotterdam|Brussels|Antwerp
Vienna|Zürich|Geneva|Genève|Basel|Bern|Munich|München|Hamburg|Frankfurt|Cologne|Köln|Düsseldorf|Stuttgart|Dresden
Leipzig|Prague|Warsaw|Kraków|Budapest|Bucharest|Sofia|Athens|Thessaloniki|Belgrade|Zagreb|Ljubljana|Sarajevo|Tirana
Kyiv|Kiev|Lviv|Minsk|Moscow|Riga|Vilnius|Tallinn|Helsinki|Stockholm|Oslo|Bergen|Copenhagen|Reykjavík|Dublin|Galway
Belfast|Edinburgh|Glasgow|Manchester|Liverpool|Birmingham|Leeds|Sheffield|Bristol|Newcastle|Cardiff|Brighton|Oxford
Cambridge|Nottingham|Leicester|Aberdeen|Inverness|Lyon|Marseille|Toulouse|Bordeaux|Lille|Strasbourg|Nantes|Monaco
Luxembourg|Toronto|Montréal|Vancouver|Calgary|Edmonton|Ottawa|Winnipeg|Halifax|Victoria|Québec|Regina|Saskatoon
Yellowknife|Whitehorse|Banff|Sydney|Melbourne|Brisbane|Perth|Adelaide|Canberra|Hobart|Darwin|Auckland|Wellington
Christchurch|Queenstown|Honolulu|Anchorage|Fairbanks|Juneau|Seattle|Portland|Boise|Spokane|Tacoma|Sacramento|Fresno
Oakland|Reno|Phoenix|Tucson|Albuquerque|Denver|Boulder|Aspen|Vail|Cheyenne|Billings|Dallas|Houston|Austin|Amarillo
Lubbock|Tulsa|Wichita|Omaha|Lincoln|Minneapolis|Duluth|Milwaukee|Madison|Chicago|Detroit|Cleveland|Columbus
Cincinnati|Indianapolis|Louisville|Nashville|Memphis|Knoxville|Atlanta|Savannah|Charleston|Charlotte|Raleigh
Richmond|Baltimore|Philadelphia|Pittsburgh|Boston|Providence|Hartford|Albany|Buffalo|Rochester|Syracuse|Burlington
Bangor|Miami|Orlando|Tampa|Jacksonville|Tallahassee|Pensacola|Mobile|Montgomery|Jackson|Shreveport|Fargo|Bismarck
Havana|Kingston|Nassau|Cancún|Monterrey|Guadalajara|Tijuana|Bogotá|Medellín|Cali|Cartagena|Quito|Guayaquil|Lima
Cusco|Santiago|Valparaíso|Montevideo|Asunción|Caracas|Brasília|Salvador|Recife|Fortaleza|Manaus|Córdoba|Rosario
Mendoza|Ushuaia|Tromsø|Tromso|Malmö|Innsbruck|Salzburg|Chamonix|Zermatt|Santorini|Mykonos|Ibiza|Mallorca|Bali|Phuket
Heathrow|Nice|Reading|Bath|Cork|Hull|Derby|Split|Orange|Surprise|Hope|Gary|Troy|Eugene|Tyler|Ely|Wells|Deal|Sale
`
  .split(/[|\n]/)
  .map((name) => name.trim())
  .filter(Boolean);

/** Cities whose lower-case name is also an everyday word: a place only after "in/at/for…" or capitalised. */
export const WORD_LIKE_PLACES = new Set([
  'nice',
  'reading',
  'bath',
  'cork',
  'hull',
  'derby',
  'split',
  'orange',
  'surprise',
  'hope',
  'mobile',
  'gary',
  'troy',
  'eugene',
  'tyler',
  'florence',
  'ely',
  'wells',
  'deal',
  'sale',
  'victoria',
  'jackson',
  'lincoln',
  'madison',
  'charlotte',
  'salvador',
  'regina',
  'darwin',
  'kingston',
  'richmond',
  'savannah',
  'phoenix',
  'buffalo',
  'cali',
]);

export const KNOWN_PLACE_KEYS = new Map<string, string>(KNOWN_PLACES.map((name) => [placeKey(name), name]));

/** Matching key of a multi-word name: token keys joined by single spaces. */
function placeKey(name: string): string {
  return name.split(/\s+/).map(keyOf).join(' ');
}

const US_STATES = `Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho
Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri
Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon
Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia
Wisconsin|Wyoming|District of Columbia|Puerto Rico`;
const OTHER_REGIONS = `Alberta|British Columbia|Manitoba|New Brunswick|Newfoundland|Newfoundland and Labrador|Nova Scotia
Ontario|Prince Edward Island|Quebec|Québec|Saskatchewan|Yukon|Nunavut|Northwest Territories|New South Wales|Victoria
Queensland|South Australia|Western Australia|Tasmania|Northern Territory|England|Scotland|Wales|Northern Ireland
Great Britain|Britain|Bavaria|Catalonia|Andalusia|Tuscany|Sicily|Sardinia|Provence|Normandy|Brittany|Ontario`;
const COUNTRIES = `Afghanistan|Albania|Algeria|Andorra|Angola|Argentina|Armenia|Australia|Austria|Azerbaijan|Bahamas
Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia|Botswana|Brazil|Brunei|Bulgaria
Burkina Faso|Burundi|Cambodia|Cameroon|Canada|Cape Verde|Chad|Chile|China|Colombia|Congo|Costa Rica|Croatia|Cuba
Cyprus|Czechia|Czech Republic|Denmark|Djibouti|Dominica|Dominican Republic|Ecuador|Egypt|El Salvador|Eritrea|Estonia
Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Germany|Ghana|Greece|Greenland|Grenada|Guatemala|Guinea|Guyana
Haiti|Honduras|Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|Ivory Coast|Jamaica|Japan|Jordan
Kazakhstan|Kenya|Korea|South Korea|North Korea|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya
Liechtenstein|Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|Mauritania|Mauritius|Mexico
México|Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|Myanmar|Namibia|Nepal|Netherlands|Holland|New Zealand
Nicaragua|Niger|Nigeria|North Macedonia|Norway|Oman|Pakistan|Palestine|Panama|Papua New Guinea|Paraguay|Peru
Philippines|Poland|Portugal|Qatar|Romania|Russia|Rwanda|Samoa|San Marino|Saudi Arabia|Senegal|Serbia|Seychelles
Sierra Leone|Singapore|Slovakia|Slovenia|Somalia|South Africa|South Sudan|Spain|España|Sri Lanka|Sudan|Suriname
Sweden|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|Togo|Tonga|Trinidad|Tunisia|Turkey|Türkiye
Turkmenistan|Uganda|Ukraine|United Arab Emirates|United Kingdom|United States|America|Uruguay|Uzbekistan|Vanuatu
Venezuela|Vietnam|Yemen|Zambia|Zimbabwe|Deutschland|Brasil|Italia|Nederland|Schweiz|Suisse|Österreich`;
/** Postal and common abbreviations of regions and countries, written back in capitals. */
const REGION_CODES = `AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY
NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR AB BC MB NB NL NS NT NU ON PE PEI QC SK YT NSW VIC QLD SA
TAS ACT UK GB USA US UAE NZ EU`;
/** Region codes that are also everyday lower-case words: only a region in capitals or after a comma. */
const AMBIGUOUS_REGION_CODES = new Set([
  'in',
  'me',
  'or',
  'oh',
  'hi',
  'ok',
  'la',
  'de',
  'pa',
  'ma',
  'co',
  'id',
  'mo',
  'ne',
  'al',
  'ga',
  'us',
  'sa',
  'nt',
  'act',
  'mt',
  'ms',
  'on',
  'mass',
  'wash',
  'ore',
  'ill',
  'ind',
  'penn',
  'eu',
  'nb',
  'ns',
  'pe',
  'ar',
  'ct',
  'sc',
  'md',
  'va',
  'wa',
  'mi',
  'ca',
]);
/** Abbreviations with a dot, kept as typed ("Mass.", "Calif."). */
const DOTTED_REGIONS = 'Mass|Calif|Fla|Tex|Penn|Wash|Ore|Ariz|Colo|Conn|Mich|Minn|Wisc|Tenn|Okla|Ont|Que|Alta|Sask';

export type RegionKind = 'code' | 'name';
export const REGIONS = new Map<string, RegionKind>([
  ...[US_STATES, OTHER_REGIONS, COUNTRIES]
    .flatMap((list) => list.split(/[|\n]/))
    .map((name): [string, RegionKind] => [placeKey(name.trim()), 'name']),
  ...REGION_CODES.split(/\s+/).map((code): [string, RegionKind] => [code.toLowerCase(), 'code']),
  ...DOTTED_REGIONS.split('|').map((name): [string, RegionKind] => [name.toLowerCase(), 'name']),
]);

/** Region codes that are also everyday words ("in", "me", "or"): a code only in capitals or after a comma. */
export function isAmbiguousRegionCode(key: string): boolean {
  return AMBIGUOUS_REGION_CODES.has(key);
}

function capitalise(part: string): string {
  return part.charAt(0).toLocaleUpperCase() + part.slice(1);
}

/** Title-cases one lower-case word of a name; particles stay lower-case inside names. */
function titleCaseWord(word: string, first: boolean, last: boolean): string {
  if (!first && NAME_PARTICLES.has(word)) return word;
  if (word === 'st' && !last) return 'St.';
  if (word === 'mt' && !last) return 'Mt.';
  if (word === 'ft' && !last) return 'Ft.';
  return word
    .split('-')
    .map((part, i) => (i > 0 && NAME_PARTICLES.has(part) ? part : capitalise(part)))
    .join('-');
}

/**
 * A name as it should be written back: words typed with capitals keep their spelling; lower-case
 * words (and words shouted in capitals) are title-cased. A known city typed in lower case takes
 * the gazetteer's spelling when the letters are the same ("st. louis" -> "St. Louis").
 */
export function displayName(words: string[]): string {
  const typed = words.join(' ');
  const known = KNOWN_PLACE_KEYS.get(placeKey(typed));
  if (known && known.toLowerCase() === typed.toLowerCase() && typed === typed.toLowerCase()) return known;
  return words
    .map((word, i) => {
      const shouted = word.length > 3 && word === word.toUpperCase() && word !== word.toLowerCase();
      if (word !== word.toLowerCase() && !shouted) return word;
      return titleCaseWord(word.toLowerCase(), i === 0, i === words.length - 1);
    })
    .join(' ');
}

/** A region as written back: codes in capitals, names as typed or title-cased. */
export function displayRegion(words: string[], kind: RegionKind | null): string {
  if (kind === 'code') return words.join(' ').toUpperCase();
  return displayName(words);
}
