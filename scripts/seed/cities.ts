/**
 * The seed's cities: where they are, their climate (the few numbers the weather model needs) and
 * how people write them — nicknames, spellings without diacritics, region qualifiers.
 */

export type WetSeason = 'summer' | 'winter' | 'even' | 'monsoon' | 'dry-summer';

export interface Climate {
  /** Mean temperature of January and of July, °C (July is the colder one south of the equator). */
  january: number;
  july: number;
  /** Share of days with precipitation over the year. */
  wetDays: number;
  /** When the wet days come. */
  wetSeason: WetSeason;
  /** Mean relative humidity, %. */
  humidity: number;
  /** Typical daily maximum wind, km/h. */
  wind: number;
}

/** How a place is written in a message, and the location the query names for it. */
export interface PlaceForm {
  typed: string;
  label: string;
}

export interface SeedCity {
  name: string;
  region: string;
  countryCode: string;
  latitude: number;
  longitude: number;
  timezone: string;
  climate: Climate;
  forms: PlaceForm[];
  /** Region or country qualifiers a user may add ("TX", "Texas"); written back as typed. */
  qualifiers: string[];
  /** Another, better-known place has this name: the message must say which. */
  needsQualifier: boolean;
}

const SEASONS: Record<string, WetSeason> = { S: 'summer', W: 'winter', E: 'even', M: 'monsoon', D: 'dry-summer' };

// name|region|country|lat|lon|timezone|Jan °C|Jul °C|wet days|wet season|humidity %|wind km/h|other
// forms|qualifiers|flags
// Forms: "~Philly" is a nickname for the city's own name; "Bombay=Bombay" keeps its own label. Flag R: needs a
// qualifier.
const TABLE = `
New York|New York|US|40.71|-74.01|America/New_York|0.5|25|0.33|E|63|16|~NYC,~New York City,~the Big Apple|NY,New York|
Los Angeles|California|US|34.05|-118.24|America/Los_Angeles|14|24|0.1|D|65|10|~LA,~the City of Angels|CA,California|
Chicago|Illinois|US|41.88|-87.63|America/Chicago|-4.5|24|0.33|E|68|18|~Chi-town,~Chitown,~the Windy City|IL,Illinois|
Houston|Texas|US|29.76|-95.37|America/Chicago|12|29.5|0.28|E|75|12|~H-Town|TX,Texas|
Phoenix|Arizona|US|33.45|-112.07|America/Phoenix|13|35|0.08|S|35|10|~PHX|AZ,Arizona|
Philadelphia|Pennsylvania|US|39.95|-75.17|America/New_York|1|26|0.32|E|65|15|~Philly|PA,Pennsylvania|
San Antonio|Texas|US|29.42|-98.49|America/Chicago|11|30|0.22|E|66|13||TX,Texas|
San Diego|California|US|32.72|-117.16|America/Los_Angeles|14|22|0.11|D|70|10||CA,California|
Dallas|Texas|US|32.78|-96.8|America/Chicago|8|30|0.22|E|64|16||TX,Texas|
San Francisco|California|US|37.77|-122.42|America/Los_Angeles|10.5|17|0.18|D|75|18|~SF,~San Fran,~Frisco|CA,California|
Seattle|Washington|US|47.61|-122.33|America/Los_Angeles|5.5|19|0.42|W|75|12|~the Emerald City|WA,Washington|
Denver|Colorado|US|39.74|-104.99|America/Denver|0|23.5|0.24|S|50|14|~the Mile High City|CO,Colorado|
Boston|Massachusetts|US|42.36|-71.06|America/New_York|-1.5|23|0.34|E|65|19|~Beantown|MA,Massachusetts|
Miami|Florida|US|25.76|-80.19|America/New_York|20|29|0.37|S|73|15||FL,Florida|
Atlanta|Georgia|US|33.75|-84.39|America/New_York|7|27|0.31|E|67|13|~ATL,~Hotlanta|GA,Georgia|
Las Vegas|Nevada|US|36.17|-115.14|America/Los_Angeles|9|33.5|0.07|W|30|13|~Vegas,~Sin City|NV,Nevada|
New Orleans|Louisiana|US|29.95|-90.07|America/Chicago|12|28.5|0.32|S|76|12|~NOLA,~the Big Easy|LA,Louisiana|
Washington|District of Columbia|US|38.91|-77.04|America/New_York|2.5|27|0.31|E|64|14|~DC,~D.C.|DC|
Minneapolis|Minnesota|US|44.98|-93.27|America/Chicago|-9|23.5|0.31|S|68|17|~the Twin Cities,~MPLS|MN,Minnesota|
Detroit|Michigan|US|42.33|-83.05|America/Detroit|-3.5|23|0.35|E|70|16|~the Motor City,~Motown|MI,Michigan|
Anchorage|Alaska|US|61.22|-149.9|America/Anchorage|-8.5|15|0.32|S|70|11||AK,Alaska|
Honolulu|Hawaii|US|21.31|-157.86|Pacific/Honolulu|23|27.5|0.24|W|68|18||HI,Hawaii|
Salt Lake City|Utah|US|40.76|-111.89|America/Denver|-1|27|0.22|W|52|13|~SLC|UT,Utah|
Nashville|Tennessee|US|36.16|-86.78|America/Chicago|4|27|0.32|E|70|12||TN,Tennessee|
Fargo|North Dakota|US|46.88|-96.79|America/Chicago|-12|22|0.27|S|70|21||ND,North Dakota|
St. Louis|Missouri|US|38.63|-90.2|America/Chicago|0.5|27|0.3|E|68|15|~STL,Saint Louis=Saint Louis|MO,Missouri|
Austin|Texas|US|30.27|-97.74|America/Chicago|11|29.5|0.22|E|67|13||TX,Texas|
Portland|Oregon|US|45.52|-122.68|America/Los_Angeles|5|21|0.42|W|72|12|~PDX|OR,Oregon|
Buffalo|New York|US|42.89|-78.88|America/New_York|-4.5|21.5|0.45|E|72|19||NY,New York|
Kansas City|Missouri|US|39.1|-94.58|America/Chicago|-1|26.5|0.28|S|67|17||MO,Missouri|
Albuquerque|New Mexico|US|35.08|-106.65|America/Denver|2.5|26.5|0.15|M|40|14|~ABQ|NM,New Mexico|
Tampa|Florida|US|27.95|-82.46|America/New_York|16|28.5|0.3|S|74|13||FL,Florida|
Orlando|Florida|US|28.54|-81.38|America/New_York|16|28|0.32|S|74|13||FL,Florida|
Charleston|South Carolina|US|32.78|-79.93|America/New_York|9.5|28|0.3|S|72|13||SC,South Carolina|
Key West|Florida|US|24.56|-81.78|America/New_York|21|29.5|0.28|S|75|17||FL,Florida|
Paris|Texas|US|33.66|-95.56|America/Chicago|6|28|0.27|E|68|15||TX,Texas|R
Portland|Maine|US|43.66|-70.26|America/New_York|-5.5|21|0.35|E|70|15||ME,Maine|R
London|Ontario|CA|42.98|-81.25|America/Toronto|-5.5|21|0.45|E|76|16||ON,Ontario|R
Springfield|Illinois|US|39.8|-89.64|America/Chicago|-2|25|0.3|E|70|17||IL,Illinois|R
Cambridge|Massachusetts|US|42.37|-71.11|America/New_York|-1.5|23|0.34|E|65|17||MA,Mass.,Massachusetts|R
Athens|Georgia|US|33.96|-83.38|America/New_York|6.5|27|0.3|E|70|11||GA,Georgia|R
Dublin|Ohio|US|40.1|-83.11|America/New_York|-2|23|0.35|E|70|15||OH,Ohio|R
Birmingham|Alabama|US|33.52|-86.8|America/Chicago|7|27.5|0.32|E|70|11||AL,Alabama|R
Perth|Scotland|GB|56.4|-3.43|Europe/London|3.5|15|0.48|E|82|15||Scotland|R
Sydney|Nova Scotia|CA|46.14|-60.19|America/Glace_Bay|-5|18.5|0.45|E|78|20||NS,Nova Scotia|R
Toronto|Ontario|CA|43.65|-79.38|America/Toronto|-5.5|22|0.4|E|72|16|~the 6ix|ON,Ontario,Canada|
Montréal|Quebec|CA|45.5|-73.57|America/Toronto|-9.5|21|0.45|E|73|16|Montreal=Montreal,~MTL|QC,Quebec,Canada|
Vancouver|British Columbia|CA|49.28|-123.12|America/Vancouver|4|18|0.45|W|78|11||BC,British Columbia,Canada|
Calgary|Alberta|CA|51.05|-114.07|America/Edmonton|-7|16.5|0.25|S|60|15||AB,Alberta|
Winnipeg|Manitoba|CA|49.9|-97.14|America/Winnipeg|-16|20|0.28|S|70|17||MB,Manitoba|
Halifax|Nova Scotia|CA|44.65|-63.58|America/Halifax|-5|19|0.42|E|78|18||NS,Nova Scotia|
Québec|Quebec|CA|46.81|-71.21|America/Toronto|-12.5|19|0.45|E|75|15|Quebec City=Quebec City,Québec City=Québec City|QC,Canada|
Yellowknife|Northwest Territories|CA|62.45|-114.37|America/Yellowknife|-25|17|0.25|S|70|13||NT,Canada|
Ottawa|Ontario|CA|45.42|-75.7|America/Toronto|-10|21|0.4|E|72|14||ON,Ontario,Canada|
Mexico City|Mexico City|MX|19.43|-99.13|America/Mexico_City|14|17|0.35|M|55|9|~CDMX,Ciudad de México=Ciudad de México|Mexico|
Cancún|Quintana Roo|MX|21.16|-86.85|America/Cancun|24|28.5|0.3|S|78|15|Cancun=Cancun|Mexico|
Monterrey|Nuevo León|MX|25.69|-100.32|America/Monterrey|14.5|29|0.18|S|62|12||Mexico|
Havana|Havana|CU|23.11|-82.37|America/Havana|22|28|0.3|S|77|15|La Habana=La Habana|Cuba|
San Juan|Puerto Rico|PR|18.47|-66.11|America/Puerto_Rico|25|28|0.45|S|75|17||PR,Puerto Rico|
Bogotá|Bogota D.C.|CO|4.71|-74.07|America/Bogota|13.5|13|0.5|E|78|9|Bogota=Bogota|Colombia|
Medellín|Antioquia|CO|6.24|-75.58|America/Bogota|22|22.5|0.5|E|70|7|Medellin=Medellin|Colombia|
Lima|Lima|PE|-12.05|-77.04|America/Lima|23|16.5|0.05|W|83|12||Peru|
Quito|Pichincha|EC|-0.18|-78.47|America/Guayaquil|14|14|0.5|E|75|8||Ecuador|
Santiago|Santiago Metropolitan|CL|-33.45|-70.67|America/Santiago|21|9|0.1|D|60|9||Chile|
Buenos Aires|Buenos Aires F.D.|AR|-34.6|-58.38|America/Argentina/Buenos_Aires|24.5|11|0.25|E|72|13||Argentina|
São Paulo|São Paulo|BR|-23.55|-46.63|America/Sao_Paulo|22.5|16|0.4|S|78|10|Sao Paulo=Sao Paulo|Brazil|
Rio de Janeiro|Rio de Janeiro|BR|-22.91|-43.17|America/Sao_Paulo|27|21.5|0.3|S|79|11|~Rio|Brazil|
Montevideo|Montevideo|UY|-34.9|-56.16|America/Montevideo|23|11|0.25|E|75|16||Uruguay|
Ushuaia|Tierra del Fuego|AR|-54.8|-68.3|America/Argentina/Ushuaia|9.5|1.5|0.45|E|78|20||Argentina|
Manaus|Amazonas|BR|-3.12|-60.02|America/Manaus|26.5|27|0.55|S|80|7||Brazil|
London|England|GB|51.51|-0.13|Europe/London|5.5|19|0.42|E|77|15|~the Big Smoke|UK,England|
Paris|Île-de-France|FR|48.86|2.35|Europe/Paris|5|20.5|0.32|E|75|14||France,FR|
Berlin|Berlin|DE|52.52|13.4|Europe/Berlin|0.5|19.5|0.3|S|74|14||Germany|
Madrid|Madrid|ES|40.42|-3.7|Europe/Madrid|6.5|25.5|0.17|D|57|11||Spain|
Rome|Lazio|IT|41.9|12.5|Europe/Rome|8|25|0.22|D|70|11|Roma=Roma|Italy|
Barcelona|Catalonia|ES|41.39|2.17|Europe/Madrid|10|25|0.17|W|70|13||Spain|
Lisbon|Lisbon|PT|38.72|-9.14|Europe/Lisbon|11.5|23.5|0.2|D|70|16|Lisboa=Lisboa|Portugal|
Amsterdam|North Holland|NL|52.37|4.9|Europe/Amsterdam|3.5|18|0.4|E|80|20||Netherlands|
Vienna|Vienna|AT|48.21|16.37|Europe/Vienna|0.5|21|0.3|S|70|14|Wien=Wien|Austria|
Zürich|Zurich|CH|47.37|8.54|Europe/Zurich|0.5|18.5|0.38|S|75|10|Zurich=Zurich|Switzerland|
Munich|Bavaria|DE|48.14|11.58|Europe/Berlin|-0.5|18.5|0.36|S|75|11|München=München|Germany|
Prague|Prague|CZ|50.08|14.44|Europe/Prague|-1|19|0.3|S|75|13|Praha=Praha|Czechia|
Warsaw|Masovia|PL|52.23|21.01|Europe/Warsaw|-2|19.5|0.32|S|78|14||Poland|
Kraków|Lesser Poland|PL|50.06|19.94|Europe/Warsaw|-2|19|0.33|S|78|12|Krakow=Krakow|Poland|
Budapest|Budapest|HU|47.5|19.04|Europe/Budapest|0|22.5|0.26|E|70|12||Hungary|
Athens|Attica|GR|37.98|23.73|Europe/Athens|10|28.5|0.15|D|62|15||Greece|
Istanbul|Istanbul|TR|41.01|28.98|Europe/Istanbul|6|24|0.3|W|74|18||Turkey|
Moscow|Moscow|RU|55.76|37.62|Europe/Moscow|-6.5|19|0.35|E|77|12||Russia|
Kyiv|Kyiv City|UA|50.45|30.52|Europe/Kyiv|-3.5|20.5|0.32|S|76|13|Kiev=Kiev|Ukraine|
Stockholm|Stockholm|SE|59.33|18.07|Europe/Stockholm|-1|18|0.3|E|78|14||Sweden|
Oslo|Oslo|NO|59.91|10.75|Europe/Oslo|-4|17|0.32|S|75|10||Norway|
Copenhagen|Capital Region|DK|55.68|12.57|Europe/Copenhagen|1|17.5|0.35|E|80|18|København=København|Denmark|
Helsinki|Uusimaa|FI|60.17|24.94|Europe/Helsinki|-4|18|0.33|E|80|15||Finland|
Reykjavík|Capital Region|IS|64.15|-21.94|Atlantic/Reykjavik|-0.5|11|0.5|W|78|25|Reykjavik=Reykjavik|Iceland|
Tromsø|Troms|NO|69.65|18.96|Europe/Oslo|-4|12|0.55|W|80|15|Tromso=Tromso|Norway|
Bergen|Vestland|NO|60.39|5.32|Europe/Oslo|2|15.5|0.62|W|80|14||Norway|
Dublin|Leinster|IE|53.35|-6.26|Europe/Dublin|5|15.5|0.45|E|82|20||Ireland|
Edinburgh|Scotland|GB|55.95|-3.19|Europe/London|4|15|0.45|E|80|20||Scotland,UK|
Glasgow|Scotland|GB|55.86|-4.25|Europe/London|4|15|0.55|W|82|19||Scotland,UK|
Manchester|England|GB|53.48|-2.24|Europe/London|4.5|16.5|0.5|E|80|17||UK,England|
Birmingham|England|GB|52.49|-1.89|Europe/London|4|17|0.42|E|78|15|~Brum|UK,England|
Cambridge|England|GB|52.21|0.12|Europe/London|4|18|0.35|E|77|14||UK,England|
Brighton|England|GB|50.82|-0.14|Europe/London|6|18|0.4|W|80|22||UK|
Belfast|Northern Ireland|GB|54.6|-5.93|Europe/London|5|15|0.5|E|83|18||Northern Ireland,UK|
Galway|Connacht|IE|53.27|-9.05|Europe/Dublin|6.5|15.5|0.6|W|85|22||Ireland|
Lyon|Auvergne-Rhône-Alpes|FR|45.76|4.84|Europe/Paris|3.5|22.5|0.3|E|72|11||France|
Marseille|Provence-Alpes-Côte d'Azur|FR|43.3|5.37|Europe/Paris|7.5|25|0.15|D|65|20||France|
Nice|Provence-Alpes-Côte d'Azur|FR|43.7|7.27|Europe/Paris|9.5|24|0.17|D|68|11||France|
Hamburg|Hamburg|DE|53.55|9.99|Europe/Berlin|1.5|18|0.45|E|80|17||Germany|
Cologne|North Rhine-Westphalia|DE|50.94|6.96|Europe/Berlin|3|19|0.38|E|76|13|Köln=Köln|Germany|
Seville|Andalusia|ES|37.39|-5.98|Europe/Madrid|11|28.5|0.13|D|60|11|Sevilla=Sevilla|Spain|
Valencia|Valencia|ES|39.47|-0.38|Europe/Madrid|11.5|25.5|0.12|W|65|12||Spain|
Porto|Porto|PT|41.15|-8.61|Europe/Lisbon|10|20.5|0.35|D|78|15||Portugal|
Milan|Lombardy|IT|45.46|9.19|Europe/Rome|2.5|24|0.25|E|72|7|Milano=Milano|Italy|
Naples|Campania|IT|40.85|14.27|Europe/Rome|9|25|0.25|D|70|11||Italy|
Venice|Veneto|IT|45.44|12.32|Europe/Rome|3.5|23.5|0.25|E|75|12||Italy|
Florence|Tuscany|IT|43.77|11.26|Europe/Rome|6|25|0.27|W|70|8||Italy|
Geneva|Geneva|CH|46.2|6.14|Europe/Zurich|1.5|20|0.33|E|75|11|Genève=Genève|Switzerland|
Innsbruck|Tyrol|AT|47.27|11.39|Europe/Vienna|-1.5|19|0.35|S|72|8||Austria|
Chamonix|Auvergne-Rhône-Alpes|FR|45.92|6.87|Europe/Paris|-3|16|0.38|E|75|8||France|
Bucharest|Bucharest|RO|44.43|26.1|Europe/Bucharest|-1|23.5|0.25|S|72|11||Romania|
Riga|Riga|LV|56.95|24.11|Europe/Riga|-3|18.5|0.35|E|80|14||Latvia|
Malmö|Skåne|SE|55.6|13|Europe/Stockholm|1|17.5|0.38|E|80|18|Malmo=Malmo|Sweden|
Dubai|Dubai|AE|25.2|55.27|Asia/Dubai|19.5|36|0.03|W|55|14||UAE|
Doha|Doha|QA|25.29|51.53|Asia/Qatar|18|36|0.03|W|55|16||Qatar|
Riyadh|Riyadh Region|SA|24.71|46.68|Asia/Riyadh|15|36|0.03|W|25|13||Saudi Arabia|
Tel Aviv|Tel Aviv|IL|32.09|34.78|Asia/Jerusalem|14|27.5|0.12|D|68|13||Israel|
Cairo|Cairo|EG|30.04|31.24|Africa/Cairo|14|28.5|0.02|W|55|14||Egypt|
Marrakech|Marrakesh-Safi|MA|31.63|-8.01|Africa/Casablanca|12|29|0.08|W|50|10|Marrakesh=Marrakesh|Morocco|
Lagos|Lagos|NG|6.52|3.38|Africa/Lagos|27|25|0.35|S|82|11||Nigeria|
Nairobi|Nairobi|KE|-1.29|36.82|Africa/Nairobi|19|16|0.3|E|70|12||Kenya|
Addis Ababa|Addis Ababa|ET|9.03|38.74|Africa/Addis_Ababa|16|15.5|0.35|M|60|9||Ethiopia|
Cape Town|Western Cape|ZA|-33.92|18.42|Africa/Johannesburg|21.5|12.5|0.22|D|72|20||South Africa|
Johannesburg|Gauteng|ZA|-26.2|28.05|Africa/Johannesburg|20.5|10.5|0.25|M|55|12|~Joburg,~Jozi|South Africa|
Dakar|Dakar|SN|14.72|-17.47|Africa/Dakar|21.5|27.5|0.12|M|70|16||Senegal|
Tokyo|Tokyo|JP|35.68|139.69|Asia/Tokyo|5.5|26|0.3|S|65|12||Japan|
Osaka|Osaka|JP|34.69|135.5|Asia/Tokyo|6|28|0.28|S|65|11||Japan|
Sapporo|Hokkaido|JP|43.06|141.35|Asia/Tokyo|-3.5|21.5|0.45|W|72|13||Japan|
Seoul|Seoul|KR|37.57|126.98|Asia/Seoul|-2.5|25.5|0.28|M|65|10||South Korea,Korea|
Beijing|Beijing|CN|39.9|116.41|Asia/Shanghai|-3|27|0.18|M|55|10||China|
Shanghai|Shanghai|CN|31.23|121.47|Asia/Shanghai|5|28.5|0.35|S|75|13||China|
Hong Kong|Hong Kong|HK|22.32|114.17|Asia/Hong_Kong|16.5|29|0.33|M|78|14|~HK||
Taipei|Taipei|TW|25.03|121.57|Asia/Taipei|16|30|0.42|S|78|11||Taiwan|
Singapore|Singapore|SG|1.35|103.82|Asia/Singapore|26.5|27.5|0.45|E|82|9|||
Bangkok|Bangkok|TH|13.76|100.5|Asia/Bangkok|27|29|0.33|M|73|10|~BKK|Thailand|
Chiang Mai|Chiang Mai|TH|18.79|98.98|Asia/Bangkok|21.5|27.5|0.3|M|72|7||Thailand|
Kuala Lumpur|Kuala Lumpur|MY|3.14|101.69|Asia/Kuala_Lumpur|27|28|0.45|E|80|8|~KL|Malaysia|
Jakarta|Jakarta|ID|-6.21|106.85|Asia/Jakarta|27|27.5|0.45|S|80|10||Indonesia|
Denpasar|Bali|ID|-8.65|115.22|Asia/Makassar|27.5|26.5|0.35|S|80|12|Bali=Bali|Indonesia|
Manila|Metro Manila|PH|14.6|120.98|Asia/Manila|26|28|0.35|M|77|11||Philippines|
Hanoi|Hanoi|VN|21.03|105.85|Asia/Bangkok|16.5|29.5|0.38|M|79|10|Ha Noi=Ha Noi|Vietnam|
Ho Chi Minh City|Ho Chi Minh City|VN|10.82|106.63|Asia/Ho_Chi_Minh|26.5|28|0.35|M|76|10|Saigon=Saigon,~HCMC|Vietnam|
Mumbai|Maharashtra|IN|19.08|72.88|Asia/Kolkata|24.5|27.5|0.25|M|72|12|Bombay=Bombay|India|
New Delhi|Delhi|IN|28.61|77.21|Asia/Kolkata|14|31|0.12|M|55|9|Delhi=Delhi|India|
Bengaluru|Karnataka|IN|12.97|77.59|Asia/Kolkata|21.5|23.5|0.25|M|65|10|Bangalore=Bangalore|India|
Kolkata|West Bengal|IN|22.57|88.36|Asia/Kolkata|20|29.5|0.28|M|75|8|Calcutta=Calcutta|India|
Chennai|Tamil Nadu|IN|13.08|80.27|Asia/Kolkata|25|31|0.18|E|70|12||India|
Kathmandu|Bagmati|NP|27.72|85.32|Asia/Kathmandu|10.5|24|0.3|M|70|7||Nepal|
Dhaka|Dhaka Division|BD|23.81|90.41|Asia/Dhaka|19|29|0.3|M|75|8||Bangladesh|
Karachi|Sindh|PK|24.86|67.01|Asia/Karachi|19|30.5|0.04|M|65|14||Pakistan|
Ulaanbaatar|Ulaanbaatar|MN|47.89|106.91|Asia/Ulaanbaatar|-21.5|18|0.15|M|60|10|Ulan Bator=Ulan Bator|Mongolia|
Sydney|New South Wales|AU|-33.87|151.21|Australia/Sydney|23|13|0.35|E|68|15||NSW,Australia|
Melbourne|Victoria|AU|-37.81|144.96|Australia/Melbourne|21|10.5|0.3|E|65|15|~Melb|VIC,Victoria,Australia|
Brisbane|Queensland|AU|-27.47|153.03|Australia/Brisbane|25.5|15.5|0.3|S|65|12|~Brissie|QLD,Australia|
Perth|Western Australia|AU|-31.95|115.86|Australia/Perth|24.5|13.5|0.2|D|60|16||WA,Australia|
Darwin|Northern Territory|AU|-12.46|130.84|Australia/Darwin|28.5|25|0.35|M|70|12||NT,Australia|
Hobart|Tasmania|AU|-42.88|147.33|Australia/Hobart|17|8|0.4|E|67|17||Tasmania,TAS|
Auckland|Auckland|NZ|-36.85|174.76|Pacific/Auckland|20|11|0.45|W|78|17||NZ,New Zealand|
Wellington|Wellington|NZ|-41.29|174.78|Pacific/Auckland|17.5|9|0.4|W|78|25|~Welly|NZ,New Zealand|
Queenstown|Otago|NZ|-45.03|168.66|Pacific/Auckland|15.5|1.5|0.35|E|72|9||NZ,New Zealand|
`;

function parseForms(field: string, name: string): PlaceForm[] {
  const forms: PlaceForm[] = [{ typed: name, label: name }];
  for (const entry of field.split(',').filter(Boolean)) {
    if (entry.startsWith('~')) forms.push({ typed: entry.slice(1), label: name });
    else {
      const [typed, label] = entry.split('=');
      forms.push({ typed, label: label ?? typed });
    }
  }
  return forms;
}

export const CITIES: readonly SeedCity[] = TABLE.trim()
  .split('\n')
  .map((line) => {
    const [
      name,
      region,
      countryCode,
      lat,
      lon,
      timezone,
      january,
      july,
      wetDays,
      season,
      humidity,
      wind,
      forms,
      qualifiers,
      flags,
    ] = line.split('|');
    return {
      name,
      region,
      countryCode,
      latitude: Number(lat),
      longitude: Number(lon),
      timezone,
      climate: {
        january: Number(january),
        july: Number(july),
        wetDays: Number(wetDays),
        wetSeason: SEASONS[season],
        humidity: Number(humidity),
        wind: Number(wind),
      },
      forms: parseForms(forms, name),
      qualifiers: qualifiers.split(',').filter(Boolean),
      needsQualifier: flags === 'R',
    };
  });

/** The place as a geocoder would return it. */
const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });
export function countryOf(city: SeedCity): string {
  return countryNames.of(city.countryCode) ?? city.countryCode;
}
