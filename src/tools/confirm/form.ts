/**
 * The question a person sees when the client can be asked (an elicitation form, on both protocol
 * eras), and how the answer maps back to the guard's neutral `ConfirmAnswer`.
 */
import type { ConfirmAnswer } from "./guard.js";
import { shown, type Preview } from "./preview.js";

export interface ConfirmForm {
  message: string;
  requestedSchema: {
    type: "object";
    properties: Record<string, { type: "string"; title: string } | { type: "boolean"; title: string; default?: boolean }>;
    required?: string[];
  };
}

/** Elicitation form params: the preview as the message; a typed name for the highest-impact calls. */
export function confirmForm(tool: string, preview: Preview): ConfirmForm {
  const message = [`${tool}: ${preview.summary}`, ...preview.effects.map((e) => `- ${e}`)].join("\n");
  if (preview.typeToConfirm !== undefined) {
    return {
      message: `${message}\nThis cannot be undone.`,
      requestedSchema: {
        type: "object",
        properties: { name: { type: "string", title: `Type ${shown(preview.typeToConfirm)} to confirm` } },
        required: ["name"],
      },
    };
  }
  return {
    message,
    requestedSchema: { type: "object", properties: { confirm: { type: "boolean", title: "Go ahead", default: true } }, required: ["confirm"] },
  };
}

/** An elicitation result (`{action, content?}`) as the guard's answer. */
export function answerFrom(result: { action: string; content?: Record<string, unknown> }): ConfirmAnswer {
  const action = result.action === "accept" || result.action === "decline" ? result.action : "cancel";
  const content = result.content ?? {};
  return {
    action,
    ...(typeof content.name === "string" ? { typedName: content.name } : {}),
    ...(typeof content.confirm === "boolean" ? { confirmed: content.confirm } : {}),
  };
}
