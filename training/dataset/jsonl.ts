/**
 * The prepared conversations as JSONL files other tools read:
 * - `hf`: the Hugging Face "messages" format, one `{"messages":[{"role","content"}…]}` per line,
 *   with the protocol's roles as they are (system, user, assistant, tool);
 * - `openai`: OpenAI's chat fine-tuning format with tool calling: the assistant's query turn is a
 *   `tool_calls` entry calling `get_weather` with the query as JSON arguments, the facts are the
 *   `tool` message answering that call by `tool_call_id`, and each line lists the function in `tools`.
 */
import { ASPECTS, isUnderstanding, NAMED_WHENS, RANGE_WHENS } from '../../bot/core/domain';
import type { ChatExample, ChatRole } from '../encoding/encode';
import type { Split } from './question-key';

export const EXPORT_FORMATS = ['hf', 'openai'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ExportSplit = Split | 'all';

export interface HfRecord {
  messages: { role: ChatRole; content: string }[];
}

export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type OpenAiMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; weight?: 0 | 1 }
  | { role: 'assistant'; tool_calls: OpenAiToolCall[]; weight?: 0 | 1 }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface OpenAiTool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface OpenAiRecord {
  messages: OpenAiMessage[];
  tools: OpenAiTool[];
}

export const WEATHER_FUNCTION = 'get_weather';
const CALL_ID = 'call_1';

/** The weather lookup as an OpenAI function: its arguments are the WeatherQuery without `weather`. */
export const WEATHER_TOOL: OpenAiTool = {
  type: 'function',
  function: {
    name: WEATHER_FUNCTION,
    description: 'Look up the weather forecast for a place and time. Call it only for weather questions.',
    parameters: {
      type: 'object',
      properties: {
        location: {
          type: ['string', 'null'],
          description:
            'The place to look up as the user named it, nicknames resolved ("Philadelphia" for "Philly"); null when the message names no place (the user\'s saved place is used).',
        },
        region: {
          type: ['string', 'null'],
          description: 'A region or country qualifier as typed ("TX", "Ontario", "France"), or null.',
        },
        when: {
          type: 'string',
          description: 'now, today, tonight, tomorrow, weekend, a weekday, or +Nd for N days ahead.',
          enum: [...NAMED_WHENS, ...Array.from({ length: 15 }, (_, i) => `+${i + 1}d`), ...RANGE_WHENS],
        },
        aspect: { type: 'string', description: 'What the question is about.', enum: [...ASPECTS] },
        units: {
          type: ['string', 'null'],
          description: 'Temperature units the user asked for, if any.',
          enum: ['celsius', 'fahrenheit', null],
        },
      },
      required: ['location', 'region', 'when', 'aspect', 'units'],
      additionalProperties: false,
    },
  },
};

export function toHfRecord(example: ChatExample): HfRecord {
  return { messages: example.messages.map(({ role, content }) => ({ role, content })) };
}

/** A protocol turn whose content is a weather query: `{"weather":true,…}`. */
function weatherCall(content: string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return null;
  }
  if (!isUnderstanding(parsed) || !parsed.weather) return null;
  const { weather: _weather, ...args } = parsed;
  return args;
}

/**
 * The conversation in OpenAI's fine-tuning shape. An assistant turn right after the user's
 * message that holds a weather query becomes the function call; `{"weather":false}` stays a
 * plain assistant message, as the protocol has the model say it.
 */
export function toOpenAiRecord(example: ChatExample): OpenAiRecord {
  const messages = example.messages.map((message, i): OpenAiMessage => {
    const weight = message.weight === undefined ? {} : { weight: message.weight };
    if (message.role === 'tool') return { role: 'tool', tool_call_id: CALL_ID, content: message.content };
    if (message.role !== 'assistant') return { role: message.role, content: message.content };
    const args = example.messages[i - 1]?.role === 'user' ? weatherCall(message.content) : null;
    if (!args) return { role: 'assistant', content: message.content, ...weight };
    return {
      role: 'assistant',
      tool_calls: [
        { id: CALL_ID, type: 'function', function: { name: WEATHER_FUNCTION, arguments: JSON.stringify(args) } },
      ],
      ...weight,
    };
  });
  return { messages, tools: [WEATHER_TOOL] };
}

/** One JSON line per example. */
export function toJsonl(examples: readonly ChatExample[], format: ExportFormat): string {
  const record = format === 'hf' ? toHfRecord : toOpenAiRecord;
  return examples.map((example) => `${JSON.stringify(record(example))}\n`).join('');
}
