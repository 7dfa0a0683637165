import type { FamilyModel } from '../families';

/** What generates text: a model of any family (a network, an n-gram model, …) with its vocabulary. */
export type TextGenerator = FamilyModel;
