// Text a person typed, made literal inside a MongoDB $regex (prefix and substring searches).
export const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
