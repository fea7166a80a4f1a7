// Calls the console makes on the dispatcher's behalf; every failure goes to the error list
// with its code and reason.
import { describeError } from "../shared/api";
import { el } from "../shared/format";

const errors = (): HTMLElement => document.getElementById("errors") as HTMLElement;

export function showError(what: string, error: unknown): void {
  const item = el("li", { text: `${what}: ${describeError(error)}`, attrs: { "data-testid": "error" } });
  const close = el("button", { text: "×", attrs: { type: "button", "aria-label": "dismiss" } });
  close.addEventListener("click", () => item.remove());
  item.append(close);
  errors().prepend(item);
  while (errors().children.length > 8) errors().lastElementChild?.remove();
}

/** Runs ``call``; a failure is shown (never swallowed) and answers undefined. */
export async function attempt<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    showError(what, error);
    return undefined;
  }
}

/** A button that runs ``action`` once per click, disabled while it runs. */
export function actionButton(text: string, action: () => Promise<unknown>, testId?: string): HTMLButtonElement {
  const button = el("button", {
    text,
    className: "needs-dispatch",
    attrs: testId ? { type: "button", "data-testid": testId } : { type: "button" },
  });
  button.disabled = document.body.classList.contains("read-only");
  button.addEventListener("click", () => {
    button.disabled = true;
    void action().finally(() => {
      button.disabled = document.body.classList.contains("read-only");
    });
  });
  return button;
}
