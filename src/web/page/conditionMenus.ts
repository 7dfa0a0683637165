import type { SavedConditions } from '../../io/modelBytes';
import { conditionState } from '../../model';

/**
 * A conditional model's condition menus: one `<select>` per condition (`data-testid="condition-COLUMN"`, its values in
 * the encoder's order, the first chosen), and the state the chosen values give — where every generation starts.
 */
export class ConditionMenus {
  /** The menus, in the encoder's order of conditions. */
  readonly menus: HTMLSelectElement[];

  /** Adds the menus to `box` and shows it. */
  constructor(
    private readonly conditions: SavedConditions,
    box: HTMLElement,
  ) {
    this.menus = conditions.config.conditions.map((condition) => {
      const label = document.createElement('label');
      label.textContent = `${condition.column} `;
      const menu = document.createElement('select');
      menu.dataset.testid = `condition-${condition.column}`;
      menu.append(...condition.values.map((value) => new Option(value, value)));
      label.append(menu);
      box.append(label);
      return menu;
    });
    box.hidden = false;
  }

  /** The chosen values, in the encoder's order. */
  values(): string[] {
    return this.menus.map((menu) => menu.value);
  }

  /** The state the chosen values give (one row, as `conditionState` returns it). */
  state(): Float32Array {
    return conditionState(this.conditions.encoder, this.conditions.config, this.values());
  }
}
