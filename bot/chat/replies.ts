/** Every fixed sentence the bot says in chat (the assistant, the commands, the adapters), in one place. */
import { echo } from '../core/text';

export const EXAMPLE = '“Will it rain in Paris tomorrow?”';

export const replies = {
  greeting: `Hi! Ask me about the weather anywhere — for example ${EXAMPLE}`,
  thanks: "You're welcome! ☀️",
  offTopic: `I only know about the weather. Try ${EXAMPLE} or “wind in Chicago tonight”.`,
  empty: `Ask me about the weather — for example ${EXAMPLE}`,
  tooLong: (max: number) =>
    `That message is too long for me (over ${max} characters). Try a shorter question, like ${EXAMPLE}`,
  rateLimited: "You're sending messages quickly — give me a few seconds and try again.",
  askPlace: 'Which place do you mean? Try “weather in Lisbon”, or save yours with /setlocation <place>.',
  placeNotFound: (place: string) =>
    `I couldn't find “${echo(place)}”. Check the spelling, or add the region or country — e.g. “Paris, TX”.`,
  providerDown: "The weather service isn't answering right now, so I can't look that up. Please try again in a minute.",
  badResponse: 'The weather service sent back something I could not read. Please try again shortly.',
  horizon: (days: number) => `I can only see ${days} days ahead — ask me about a day within that.`,
  internalError: 'Something went wrong on my side. Please try again.',
  unknownCommand: (name: string) => `I don't know the command /${echo(name, 30)}. Type /help to see what I can do.`,
  refused: (name: string, role: string) => `Only ${role}s can use /${name}.`,
};

const GREETING = /^(hi|hello|hey|hiya|yo|howdy|good (morning|afternoon|evening)|greetings|sup|what'?s up)\b/i;
const THANKS = /\b(thanks|thank you|thx|ty|cheers|much appreciated)\b/i;

/** The reply to a message that is not a weather question. */
export function smalltalk(text: string): string {
  const bare = text.replace(/<@[!&]?\w+>|@\w+/g, '').trim();
  if (THANKS.test(bare)) return replies.thanks;
  if (GREETING.test(bare)) return replies.greeting;
  return replies.offTopic;
}
