"""The accuracy anchor for `npm run evaluate`: scikit-learn's TfidfVectorizer(sublinear_tf=True,
ngram_range=(1, 2), min_df=2) + LinearSVC on exactly the documents and train/test parts of our evaluation.

    python3 bench/evaluate_sklearn.py <plan.json>     (written by bench/evaluate.ts)

Prints one JSON line: accuracy, macro_f1, weighted_f1, seconds.
"""
import json
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC


def main(path):
    plan = json.load(open(path, encoding="utf-8"))
    texts, labels = plan["texts"], plan["labels"]
    started = time.perf_counter()
    actual, predicted = [], []
    for part in plan["parts"]:
        vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
        train_x = vectorizer.fit_transform([texts[i] for i in part["train"]])
        model = LinearSVC().fit(train_x, [labels[i] for i in part["train"]])
        predicted += list(model.predict(vectorizer.transform([texts[i] for i in part["test"]])))
        actual += [labels[i] for i in part["test"]]
    seconds = time.perf_counter() - started
    print(json.dumps({
        "accuracy": accuracy_score(actual, predicted),
        "macro_f1": f1_score(actual, predicted, average="macro", labels=sorted(set(labels)), zero_division=0),
        "weighted_f1": f1_score(actual, predicted, average="weighted", zero_division=0),
        "seconds": seconds,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
