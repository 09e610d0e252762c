import { AlreadyExistsError, InvalidArgumentError, readFieldViolations } from "../web/index.js";
import type { UserClient } from "../users/web.js";
import { describeError } from "./describe-error.js";
import { byId, showStatus } from "./dom.js";

/**
 * The create form: server-side validation is the one source of truth, so a
 * BadRequest's field violations are shown next to the fields they name.
 */
export function createCreateForm(client: UserClient, signal: AbortSignal, onCreated: () => void): void {
  const form = byId<HTMLFormElement>("create-form");
  const errorFor = (field: string) => form.querySelector<HTMLElement>(`[data-error-for="${field}"]`);
  const clearErrors = () => {
    for (const small of form.querySelectorAll<HTMLElement>("[data-error-for]")) small.textContent = "";
    for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
  };
  const showFieldError = (field: string, message: string): boolean => {
    const small = errorFor(field);
    if (small === null) return false;
    small.textContent = small.textContent ? `${small.textContent}; ${message}` : message;
    form.querySelector(`input[name="${field}"]`)?.setAttribute("aria-invalid", "true");
    return true;
  };

  form.onsubmit = async (event) => {
    event.preventDefault();
    clearErrors();
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? "").trim();
    const age = text("age");
    const roles = text("roles")
      .split(",")
      .map((role) => role.trim())
      .filter((role) => role !== "");
    try {
      const user = await client.createUser(
        { name: text("name"), email: text("email"), ...(age !== "" && { age: Number(age) }), roles },
        { signal },
      );
      form.reset();
      showStatus(`created ${user.email}`, "info");
      onCreated();
    } catch (err) {
      if (err instanceof InvalidArgumentError) {
        const unplaced = readFieldViolations(err).filter((v) => !showFieldError(v.field, v.description));
        showStatus(unplaced.length ? describeError("CreateUser", err) : "please fix the fields marked below");
      } else if (err instanceof AlreadyExistsError) {
        showFieldError("email", err.rawMessage);
        showStatus("a user with that email exists");
      } else {
        showStatus(describeError("CreateUser", err));
      }
    }
  };
}
