package io.troupe.core.space;

import io.troupe.core.IntTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * Sentences of at most {@code maxTokens} words over a fixed vocabulary, held as an int32 tensor of shape
 * {@code [maxTokens]} of token ids, padded with id 0. Token 0 is always {@value #PAD}.
 */
public record Text(int maxTokens, List<String> vocabulary) implements Space {
    /** The padding token, id 0. */
    public static final String PAD = "<pad>";
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    public Text {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("Text space needs maxTokens >= 1, got " + maxTokens);
        }
        if (vocabulary == null || vocabulary.size() < 2 || !PAD.equals(vocabulary.get(0))) {
            throw new IllegalArgumentException("Text space needs a vocabulary that starts with " + PAD
                    + " and has at least one word, got " + vocabulary);
        }
        if (vocabulary.stream().distinct().count() != vocabulary.size()) {
            throw new IllegalArgumentException("Text vocabulary has duplicate words: " + vocabulary);
        }
        vocabulary = List.copyOf(vocabulary);
    }

    /** A space whose vocabulary is {@code <pad>} followed by {@code words}. */
    public static Text of(int maxTokens, List<String> words) {
        ArrayList<String> v = new ArrayList<>();
        v.add(PAD);
        v.addAll(words);
        return new Text(maxTokens, v);
    }

    /** The token ids of a sentence (words split on spaces, lower-cased), padded to {@code maxTokens}. */
    public int[] encode(String sentence) {
        if (sentence.isBlank()) {
            throw new IllegalArgumentException("the sentence is empty; expected 1 to " + maxTokens + " words of the "
                    + "vocabulary " + vocabulary.subList(1, vocabulary.size()));
        }
        String[] words = WHITESPACE.split(sentence.trim().toLowerCase(Locale.ROOT));
        if (words.length > maxTokens) {
            throw new IllegalArgumentException("sentence '" + excerpt(sentence) + "' has " + words.length
                    + " words; this Text space holds at most " + maxTokens);
        }
        int[] out = new int[maxTokens];
        for (int i = 0; i < words.length; i++) {
            int id = vocabulary.indexOf(words[i]); // no map built a call: vocabularies are short, sentences shorter
            if (id <= 0) {
                throw new IllegalArgumentException("word '" + excerpt(words[i]) + "' of '" + excerpt(sentence)
                        + "' is not in the vocabulary " + vocabulary.subList(1, vocabulary.size()));
            }
            out[i] = id;
        }
        return out;
    }

    /** {@code s} as an error message quotes it: its first 60 characters, and how long it was when it is longer. */
    static String excerpt(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "... (" + s.length() + " characters)";
    }

    /** The sentence of a padded id sequence. */
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id == 0) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(id > 0 && id < vocabulary.size() ? vocabulary.get(id) : "<" + id + ">");
        }
        return sb.toString();
    }

    @Override
    public Optional<String> violation(Object value) {
        if (!(value instanceof IntTensor t)) {
            return Optional.of("value " + value + " is not in " + describe() + ": expected an int32 tensor of token ids");
        }
        if (t.shape().length != 1 || t.shape()[0] != maxTokens) {
            return Optional.of("token tensor " + t.describe() + " is not in " + describe() + ": expected shape ["
                    + maxTokens + "]");
        }
        int[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            if (d[i] < 0 || d[i] >= vocabulary.size()) {
                return Optional.of("token " + i + " has id " + d[i] + ", outside the vocabulary 0.."
                        + (vocabulary.size() - 1) + " of " + describe());
            }
        }
        return Optional.empty();
    }

    @Override
    public IntTensor sample(RandomGenerator rng) {
        int[] ids = new int[maxTokens];
        int len = 1 + rng.nextInt(maxTokens);
        for (int i = 0; i < len; i++) {
            ids[i] = 1 + rng.nextInt(vocabulary.size() - 1);
        }
        return IntTensor.of(ids);
    }

    @Override
    public String describe() {
        return "Text(maxTokens=" + maxTokens + ", vocabulary=" + vocabulary.size() + " words)";
    }
}
