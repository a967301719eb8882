//! A rejection speaks the language of the message's labels: the labels and the problems.
//! Each case fills the real blank form of its language (`templates/email/<lang>/`).

use super::*;

struct Case {
    language: &'static str,
    /// The form's values, by key, with the mistakes of this case.
    values: &'static [(&'static str, &'static str)],
    /// Lines the rejection lists.
    expected_lines: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        language: "es",
        values: &[
            ("role", "acogida"),
            ("region", "ES2"),
            ("participants", "muchos"),
            ("languages", "es, klingon"),
        ],
        expected_lines: &[
            "- Región (\"ES2\"): ES2 (Noreste) abarca más que una región NUTS 2; escriba la región NUTS 2, por ejemplo ES21 (País Vasco)",
            "- Participantes (\"muchos\"): no es un número entero; escriba un número de personas, por ejemplo 8",
            "- Idiomas (\"es, klingon\"): «klingon»: no es un idioma que conozcamos; escriba códigos ISO 639-1, por ejemplo es, en o sv",
        ],
    },
    Case {
        language: "sv",
        values: &[
            ("role", "mottagande"),
            ("region", "SE23"),
            ("participants", "0"),
            ("languages", "sv, en"),
            ("duration", "14-5"),
        ],
        expected_lines: &[
            "- Deltagare (\"0\"): noll; skriv minst 1 deltagare",
            "- Längd i dagar (\"14-5\"): den kortare längden skrivs först; skriv 5-14, inte 14-5",
        ],
    },
    Case {
        language: "fr",
        values: &[
            ("role", "envoi"),
            ("region", "FRK2"),
            ("participants", "6"),
            ("fewer_opportunities", "9"),
            ("languages", "fr, en"),
        ],
        expected_lines: &[
            "- Moins d'opportunités (« 9 ») : dépasse les 6 participants ; indiquez combien d'entre eux ont moins d'opportunités",
        ],
    },
    Case {
        language: "de",
        values: &[
            ("region", "DE21"),
            ("participants", "4"),
            ("languages", "de, en"),
            ("latest_end", "2026-08-01"),
        ],
        expected_lines: &[
            "- Rolle: fehlt; geben Sie aufnehmend (Sie können Personen aufnehmen) oder entsendend (Sie möchten Personen entsenden) an",
            "- Spätestes Ende (\"2026-08-01\"): das Ende (2026-08-01) liegt vor dem Beginn (2026-09-01); geben Sie ein Ende am oder nach dem Beginn an",
        ],
    },
];

/// The blank submission form of `language` with every field filled as a valid form
/// would be, then the case's own values.
fn filled_form(case: &Case) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates/email")
        .join(case.language)
        .join("submission_form.txt");
    let defaults = [
        ("organisation", "Escola Test"),
        ("contact_name", "Anna Berg"),
        ("contact_email", "anna@school.example"),
        ("mobility_type", "apprentice"),
        ("fields", "0713"),
        ("earliest_start", "2026-09-01"),
        ("latest_end", "2026-12-31"),
        ("duration", "10"),
    ];
    let mut form = std::fs::read_to_string(path).unwrap();
    for (key, value) in case.values.iter().chain(defaults.iter()) {
        form = form.replace(&format!("{{{{ values.{key} }}}}"), value);
    }
    // Fields the case leaves empty.
    while let Some(start) = form.find("{{ values.") {
        let end = start + form[start..].find("}}").unwrap() + 2;
        form.replace_range(start..end, "");
    }
    form
}

#[tokio::test]
async fn a_rejection_lists_the_problems_in_the_language_of_the_form() {
    for case in CASES {
        let database = TestDatabase::sqlite();
        let store = database.connect().await;
        let raw = format!(
            "From: anna@school.example\r\nTo: matchmaking@example.org\r\nSubject: form\r\n\
             Message-ID: <rejection-{}@school.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}",
            case.language,
            filled_form(case).replace('\n', "\r\n")
        );
        let report = ingest(&store, case.language, raw.as_bytes()).await;
        assert_eq!(
            report.outcome,
            Outcome::Rejected,
            "{}: {report:?}",
            case.language
        );
        let outbox = store.outbox(None).await.unwrap();
        let text = &outbox[0].message.body_text;
        let listed: Vec<&str> = text.lines().filter(|line| line.starts_with("- ")).collect();
        assert_eq!(
            listed, case.expected_lines,
            "{}: the rejection reads\n{text}",
            case.language
        );
    }
}
