//! The problems the form parser finds, as data, and their sentences in the five
//! languages of the forms: a rejection speaks the language of the message's labels.
//! English is each problem's `Display`; the other languages say the same, with the fixed
//! values, labels and examples of that language's form.

use std::fmt;

use chrono::NaiveDate;

use super::{FieldKey, FormLanguage};
use crate::domain::ValueProblem;

/// What is wrong with one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldProblem {
    /// The value does not parse.
    Value(ValueProblem),
    /// One item of a list does not parse.
    InListItem {
        item: String,
        problem: ValueProblem,
    },
    GivenTwice,
    Missing(FieldKey),
    FewerOpportunitiesFromHost,
    FewerOpportunitiesAboveParticipants {
        participants: u32,
    },
    ReportedFewerOpportunitiesAboveParticipants {
        participants: u32,
    },
    WindowPassed {
        today: NaiveDate,
    },
    DurationLongerThanWindow {
        days: u32,
        start: NaiveDate,
        end: NaiveDate,
    },
    CountryDoesNotMatchRegion {
        region_code: String,
        region_name: String,
        country_code: String,
        country_name: String,
    },
    ReceivingRegionMissing,
    /// An introduction reference that names none of ours.
    NotOurIntroduction,
}

impl From<ValueProblem> for FieldProblem {
    fn from(problem: ValueProblem) -> FieldProblem {
        FieldProblem::Value(problem)
    }
}

impl FieldProblem {
    pub fn message_in(&self, language: FormLanguage) -> String {
        match language {
            FormLanguage::En => self.to_string(),
            FormLanguage::Es => spanish(self),
            FormLanguage::Sv => swedish(self),
            FormLanguage::Fr => french(self),
            FormLanguage::De => german(self),
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldProblem::Value(problem) => write!(formatter, "{problem}"),
            FieldProblem::InListItem { item, problem } => {
                let message = problem.to_string();
                if message.starts_with("not ") {
                    write!(formatter, "\"{item}\" is {message}")
                } else {
                    write!(formatter, "\"{item}\": {message}")
                }
            }
            FieldProblem::GivenTwice => {
                write!(formatter, "is given twice with different values; keep one")
            }
            FieldProblem::Missing(key) => {
                write!(formatter, "missing; write {}", english_hint(*key))
            }
            FieldProblem::FewerOpportunitiesFromHost => write!(
                formatter,
                "is asked of sending organisations; as a host, answer Inclusion support (yes or no) instead"
            ),
            FieldProblem::FewerOpportunitiesAboveParticipants { participants } => write!(
                formatter,
                "is more than the {participants} participants; write how many of them have fewer opportunities"
            ),
            FieldProblem::ReportedFewerOpportunitiesAboveParticipants { participants } => write!(
                formatter,
                "is more than the {participants} participants; write how many of them had fewer opportunities"
            ),
            FieldProblem::WindowPassed { today } => write!(
                formatter,
                "has already passed; write a date after today ({today})"
            ),
            FieldProblem::DurationLongerThanWindow { days, start, end } => write!(
                formatter,
                "is longer than the {days} days from {start} to {end}; write a shorter duration or widen the dates"
            ),
            FieldProblem::CountryDoesNotMatchRegion {
                region_code,
                region_name,
                country_name,
                ..
            } => write!(
                formatter,
                "does not match the receiving region {region_code} ({region_name}), which is in {country_name}; correct one of them or leave the country out"
            ),
            FieldProblem::ReceivingRegionMissing => write!(
                formatter,
                "missing; write the receiving region's NUTS 2 code (for example SE23) or at least the receiving country (for example SE)"
            ),
            FieldProblem::NotOurIntroduction => write!(
                formatter,
                "is not an introduction of ours; write the I-… reference from our email, or leave it empty"
            ),
        }
    }
}

fn english_hint(key: FieldKey) -> &'static str {
    match key {
        FieldKey::Role => "receiving (you can host people) or sending (you want to send people)",
        FieldKey::Organisation => "the organisation's name",
        FieldKey::ContactName => "the name of the contact person",
        FieldKey::ContactEmail => "the contact person's email address",
        FieldKey::Region | FieldKey::SendingRegion => {
            "the NUTS 2 code of the organisation's region, for example ES21"
        }
        FieldKey::MobilityType => {
            "one of VET learners, Apprentices, Adult learners, Informal learners, Staff job shadowing, Study visit"
        }
        FieldKey::Fields => "ISCED-F codes of the fields of education, for example 0713, 0722",
        FieldKey::Participants => "the number of participants, for example 8",
        FieldKey::EarliestStart | FieldKey::StartDate => "a date such as 2027-03-15",
        FieldKey::LatestEnd | FieldKey::EndDate => "a date such as 2027-06-30",
        FieldKey::Duration => "the duration in days, for example 10 or 5-14",
        FieldKey::Languages => "the languages of the mobility, for example en, es",
        FieldKey::SendingOrganisation => "the sending organisation's name",
        FieldKey::Status => "planned, completed or cancelled",
        _ => "a value",
    }
}

fn spanish(problem: &FieldProblem) -> String {
    match problem {
        FieldProblem::Value(problem) => spanish_value(problem),
        FieldProblem::InListItem { item, problem } => {
            format!("«{item}»: {}", spanish_value(problem))
        }
        FieldProblem::GivenTwice => {
            "aparece dos veces con valores distintos; deje solo uno".to_owned()
        }
        FieldProblem::Missing(key) => {
            let hint = match key {
                FieldKey::Role => "acogida (puede recibir personas) o envío (quiere enviar personas)",
                FieldKey::Organisation => "el nombre de la organización",
                FieldKey::ContactName => "el nombre de la persona de contacto",
                FieldKey::ContactEmail => "la dirección de correo electrónico de la persona de contacto",
                FieldKey::Region | FieldKey::SendingRegion => {
                    "el código NUTS 2 de la región de la organización, por ejemplo ES21"
                }
                FieldKey::MobilityType => {
                    "uno de estos tipos: Estudiantes de FP, Aprendices, Estudiantes adultos, Educación informal, Observación de puestos de trabajo, Visita de estudio"
                }
                FieldKey::Fields => {
                    "los códigos ISCED-F de los campos de educación, por ejemplo 0713, 0722"
                }
                FieldKey::Participants => "el número de participantes, por ejemplo 8",
                FieldKey::EarliestStart | FieldKey::StartDate => "una fecha como 2027-03-15",
                FieldKey::LatestEnd | FieldKey::EndDate => "una fecha como 2027-06-30",
                FieldKey::Duration => "la duración en días, por ejemplo 10 o 5-14",
                FieldKey::Languages => "los idiomas de la movilidad, por ejemplo es, en",
                FieldKey::SendingOrganisation => "el nombre de la organización de envío",
                FieldKey::Status => "planificada, completada o cancelada",
                _ => "un valor",
            };
            format!("falta; escriba {hint}")
        }
        FieldProblem::FewerOpportunitiesFromHost => "solo se pregunta a las organizaciones de envío; como organización de acogida, responda en su lugar a Apoyo a la inclusión (sí o no)".to_owned(),
        FieldProblem::FewerOpportunitiesAboveParticipants { participants } => format!(
            "supera el número de participantes ({participants}); escriba cuántos de ellos tienen menos oportunidades"
        ),
        FieldProblem::ReportedFewerOpportunitiesAboveParticipants { participants } => format!(
            "supera el número de participantes ({participants}); escriba cuántos de ellos tuvieron menos oportunidades"
        ),
        FieldProblem::WindowPassed { today } => {
            format!("ya ha pasado; escriba una fecha posterior a hoy ({today})")
        }
        FieldProblem::DurationLongerThanWindow { days, start, end } => format!(
            "es más larga que los {days} días del {start} al {end}; escriba una duración más corta o amplíe las fechas"
        ),
        FieldProblem::CountryDoesNotMatchRegion {
            region_code,
            region_name,
            country_code,
            ..
        } => format!(
            "no coincide con la región de acogida {region_code} ({region_name}), que está en {country_code}; corrija uno de los dos o no indique el país"
        ),
        FieldProblem::ReceivingRegionMissing => "falta; escriba el código NUTS 2 de la región de acogida (por ejemplo SE23) o al menos el país de acogida (por ejemplo SE)".to_owned(),
        FieldProblem::NotOurIntroduction => "no es una de nuestras presentaciones; escriba la referencia I-… de nuestro correo o deje el campo vacío".to_owned(),
    }
}

fn spanish_value(problem: &ValueProblem) -> String {
    match problem {
        ValueProblem::RegionMissing => {
            "falta; escriba un código de región NUTS 2, por ejemplo ES21".to_owned()
        }
        ValueProblem::RegionOutsideAnyRegion { code } => format!(
            "{code} designa zonas que no pertenecen a ninguna región; escriba la región en la que está la organización, por ejemplo ES21"
        ),
        ValueProblem::RegionIsNuts3 {
            code,
            name,
            parent_code,
            parent_name,
        } => format!(
            "{code} ({name}) es una zona NUTS 3; escriba su región NUTS 2, {parent_code} ({parent_name})"
        ),
        ValueProblem::RegionLargerThanNuts2 {
            code,
            name,
            example,
        } => format!(
            "{code} ({name}) abarca más que una región NUTS 2; escriba la región NUTS 2, por ejemplo {example}"
        ),
        ValueProblem::NotARegion => "no es una región NUTS 2021; escriba un código NUTS 2 como ES21 (País Vasco) o SE23 (Västsverige), según la lista de https://ec.europa.eu/eurostat/web/nuts".to_owned(),
        ValueProblem::NotAnIscedCode => "no es un código ISCED-F; escriba códigos de 2, 3 o 4 cifras, por ejemplo 0713 (Electricidad y energía) o 07".to_owned(),
        ValueProblem::UnknownIscedField { code } => format!(
            "{code} no es un campo de la ISCED-F 2013; escriba un código como 0713 (Electricidad y energía) o 0722 (Materiales)"
        ),
        ValueProblem::NotALanguage => "no es un idioma que conozcamos; escriba códigos ISO 639-1, por ejemplo es, en o sv".to_owned(),
        ValueProblem::NotACountry => "no es un país que conozcamos; escriba códigos ISO 3166 de dos letras, por ejemplo SE, FI o ES".to_owned(),
        ValueProblem::NotAnEmailAddress => "no es una dirección de correo electrónico; escriba una como anna.berg@school.example".to_owned(),
        ValueProblem::NotAReference { prefix } => {
            format!("no es una referencia; escriba una como {prefix}-42")
        }
        ValueProblem::EndBeforeStart { start, end } => format!(
            "el fin ({end}) es anterior al inicio ({start}); escriba un fin igual o posterior al inicio"
        ),
        ValueProblem::DurationZero => "la duración debe ser de al menos 1 día".to_owned(),
        ValueProblem::DurationReversed { min_days, max_days } => format!(
            "la duración más corta va primero; escriba {max_days}-{min_days}, no {min_days}-{max_days}"
        ),
        ValueProblem::DurationTooLong { max_days } => format!(
            "más de {max_days} días; escriba una duración de {max_days} días como máximo"
        ),
        ValueProblem::TooManyPeople { maximum } => format!(
            "más de {maximum}; escriba el número de personas, como máximo {maximum}"
        ),
        ValueProblem::NotAWholeNumber => "no es un número entero; escriba un número de personas, por ejemplo 8".to_owned(),
        ValueProblem::NotADate => "no es una fecha; escríbala como AAAA-MM-DD, por ejemplo 2027-03-15 (o 15.3.2027)".to_owned(),
        ValueProblem::NotADuration => "no es una duración; escriba un número de días, por ejemplo 10, o un intervalo como 5-14 (también vale «2 semanas»)".to_owned(),
        ValueProblem::ZeroParticipants => "cero; escriba al menos 1 participante".to_owned(),
        ValueProblem::NotARole => "no es un rol; escriba acogida (puede recibir personas) o envío (quiere enviar personas)".to_owned(),
        ValueProblem::NotAMobilityType => "no es un tipo de movilidad; escriba uno de estos: Estudiantes de FP, Aprendices, Estudiantes adultos, Educación informal, Observación de puestos de trabajo, Visita de estudio".to_owned(),
        ValueProblem::NotAStatus => {
            "no es un estado; escriba planificada, completada o cancelada".to_owned()
        }
        ValueProblem::NotYesOrNo => "no es ni sí ni no; escriba sí o no".to_owned(),
        ValueProblem::NeitherRegionNorCountry => "no es ni una región NUTS 2 ni un país; escriba un código de región como SE23 o un código de país como SE".to_owned(),
        ValueProblem::Other(message) => message.clone(),
    }
}

fn swedish(problem: &FieldProblem) -> String {
    match problem {
        FieldProblem::Value(problem) => swedish_value(problem),
        FieldProblem::InListItem { item, problem } => {
            format!("”{item}”: {}", swedish_value(problem))
        }
        FieldProblem::GivenTwice => {
            "står två gånger med olika värden; behåll ett av dem".to_owned()
        }
        FieldProblem::Missing(key) => {
            let hint = match key {
                FieldKey::Role => {
                    "mottagande (ni kan ta emot personer) eller sändande (ni vill skicka personer)"
                }
                FieldKey::Organisation => "organisationens namn",
                FieldKey::ContactName => "kontaktpersonens namn",
                FieldKey::ContactEmail => "kontaktpersonens e-postadress",
                FieldKey::Region | FieldKey::SendingRegion => {
                    "NUTS 2-koden för organisationens region, till exempel SE23"
                }
                FieldKey::MobilityType => {
                    "en av Yrkeselever, Lärlingar, Vuxenstuderande, Informellt lärande, Jobbskuggning, Studiebesök"
                }
                FieldKey::Fields => "ISCED-F-koderna för utbildningsområdena, till exempel 0713, 0722",
                FieldKey::Participants => "antalet deltagare, till exempel 8",
                FieldKey::EarliestStart | FieldKey::StartDate => "ett datum som 2027-03-15",
                FieldKey::LatestEnd | FieldKey::EndDate => "ett datum som 2027-06-30",
                FieldKey::Duration => "längden i dagar, till exempel 10 eller 5-14",
                FieldKey::Languages => "mobilitetens språk, till exempel sv, en",
                FieldKey::SendingOrganisation => "den sändande organisationens namn",
                FieldKey::Status => "planerad, genomförd eller inställd",
                _ => "ett värde",
            };
            format!("saknas; skriv {hint}")
        }
        FieldProblem::FewerOpportunitiesFromHost => "gäller bara sändande organisationer; som mottagare svarar ni i stället på Inkluderingsstöd (ja eller nej)".to_owned(),
        FieldProblem::FewerOpportunitiesAboveParticipants { participants } => format!(
            "är fler än de {participants} deltagarna; skriv hur många av dem som har färre möjligheter"
        ),
        FieldProblem::ReportedFewerOpportunitiesAboveParticipants { participants } => format!(
            "är fler än de {participants} deltagarna; skriv hur många av dem som hade färre möjligheter"
        ),
        FieldProblem::WindowPassed { today } => {
            format!("har redan passerat; skriv ett datum efter i dag ({today})")
        }
        FieldProblem::DurationLongerThanWindow { days, start, end } => format!(
            "är längre än de {days} dagarna från {start} till {end}; skriv en kortare längd eller ett längre datumintervall"
        ),
        FieldProblem::CountryDoesNotMatchRegion {
            region_code,
            region_name,
            country_code,
            ..
        } => format!(
            "stämmer inte med den mottagande regionen {region_code} ({region_name}), som ligger i {country_code}; rätta en av dem eller utelämna landet"
        ),
        FieldProblem::ReceivingRegionMissing => "saknas; skriv den mottagande regionens NUTS 2-kod (till exempel SE23) eller åtminstone det mottagande landet (till exempel SE)".to_owned(),
        FieldProblem::NotOurIntroduction => "är ingen av våra introduktioner; skriv I-referensen från vårt e-postmeddelande, eller lämna fältet tomt".to_owned(),
    }
}

fn swedish_value(problem: &ValueProblem) -> String {
    match problem {
        ValueProblem::RegionMissing => {
            "saknas; skriv en NUTS 2-regionkod, till exempel SE23".to_owned()
        }
        ValueProblem::RegionOutsideAnyRegion { code } => format!(
            "{code} står för områden utanför alla regioner; skriv den region där organisationen finns, till exempel SE23"
        ),
        ValueProblem::RegionIsNuts3 {
            code,
            name,
            parent_code,
            parent_name,
        } => format!(
            "{code} ({name}) är ett NUTS 3-område; skriv dess NUTS 2-region, {parent_code} ({parent_name})"
        ),
        ValueProblem::RegionLargerThanNuts2 {
            code,
            name,
            example,
        } => format!(
            "{code} ({name}) är större än en NUTS 2-region; skriv NUTS 2-regionen, till exempel {example}"
        ),
        ValueProblem::NotARegion => "inte en NUTS 2021-region; skriv en NUTS 2-kod som SE23 (Västsverige) eller ES21 (País Vasco), enligt förteckningen på https://ec.europa.eu/eurostat/web/nuts".to_owned(),
        ValueProblem::NotAnIscedCode => "inte en ISCED-F-kod; skriv koder med 2, 3 eller 4 siffror, till exempel 0713 (elektricitet och energi) eller 07".to_owned(),
        ValueProblem::UnknownIscedField { code } => format!(
            "{code} är inget område i ISCED-F 2013; skriv en kod som 0713 (elektricitet och energi) eller 0722 (material)"
        ),
        ValueProblem::NotALanguage => "inget språk vi känner till; skriv ISO 639-1-koder, till exempel sv, en eller es".to_owned(),
        ValueProblem::NotACountry => "inget land vi känner till; skriv ISO 3166-koder med två bokstäver, till exempel SE, FI eller ES".to_owned(),
        ValueProblem::NotAnEmailAddress => {
            "ingen e-postadress; skriv en som anna.berg@school.example".to_owned()
        }
        ValueProblem::NotAReference { prefix } => {
            format!("ingen referens; skriv en som {prefix}-42")
        }
        ValueProblem::EndBeforeStart { start, end } => format!(
            "slutet ({end}) ligger före starten ({start}); skriv ett slut på eller efter starten"
        ),
        ValueProblem::DurationZero => "en längd måste vara minst 1 dag".to_owned(),
        ValueProblem::DurationReversed { min_days, max_days } => format!(
            "den kortare längden skrivs först; skriv {max_days}-{min_days}, inte {min_days}-{max_days}"
        ),
        ValueProblem::DurationTooLong { max_days } => format!(
            "längre än {max_days} dagar; skriv en längd på högst {max_days} dagar"
        ),
        ValueProblem::TooManyPeople { maximum } => {
            format!("fler än {maximum}; skriv antalet personer, högst {maximum}")
        }
        ValueProblem::NotAWholeNumber => {
            "inget heltal; skriv ett antal personer, till exempel 8".to_owned()
        }
        ValueProblem::NotADate => "inget datum; skriv det som ÅÅÅÅ-MM-DD, till exempel 2027-03-15 (eller 15.3.2027)".to_owned(),
        ValueProblem::NotADuration => "ingen längd; skriv ett antal dagar, till exempel 10, eller ett intervall som 5-14 (”2 veckor” fungerar också)".to_owned(),
        ValueProblem::ZeroParticipants => "noll; skriv minst 1 deltagare".to_owned(),
        ValueProblem::NotARole => "ingen roll; skriv mottagande (ni kan ta emot personer) eller sändande (ni vill skicka personer)".to_owned(),
        ValueProblem::NotAMobilityType => "ingen typ av mobilitet; skriv en av Yrkeselever, Lärlingar, Vuxenstuderande, Informellt lärande, Jobbskuggning, Studiebesök".to_owned(),
        ValueProblem::NotAStatus => {
            "ingen status; skriv planerad, genomförd eller inställd".to_owned()
        }
        ValueProblem::NotYesOrNo => "varken ja eller nej; skriv ja eller nej".to_owned(),
        ValueProblem::NeitherRegionNorCountry => "varken en NUTS 2-region eller ett land; skriv en regionkod som SE23 eller en landskod som SE".to_owned(),
        ValueProblem::Other(message) => message.clone(),
    }
}

fn french(problem: &FieldProblem) -> String {
    match problem {
        FieldProblem::Value(problem) => french_value(problem),
        FieldProblem::InListItem { item, problem } => {
            format!("« {item} » : {}", french_value(problem))
        }
        FieldProblem::GivenTwice => {
            "figure deux fois avec des valeurs différentes ; n'en gardez qu'une".to_owned()
        }
        FieldProblem::Missing(key) => {
            let hint = match key {
                FieldKey::Role => "accueil (vous pouvez accueillir des personnes) ou envoi (vous souhaitez envoyer des personnes)",
                FieldKey::Organisation => "le nom de l'organisation",
                FieldKey::ContactName => "le nom de la personne de contact",
                FieldKey::ContactEmail => "l'adresse e-mail de la personne de contact",
                FieldKey::Region | FieldKey::SendingRegion => {
                    "le code NUTS 2 de la région de l'organisation, par exemple FRK2"
                }
                FieldKey::MobilityType => {
                    "l'un des types suivants : Apprenants EFP, Apprentis, Apprenants adultes, Éducation informelle, Observation en situation de travail, Visite d'étude"
                }
                FieldKey::Fields => "les codes ISCED-F des domaines d'études, par exemple 0713, 0722",
                FieldKey::Participants => "le nombre de participants, par exemple 8",
                FieldKey::EarliestStart | FieldKey::StartDate => "une date comme 2027-03-15",
                FieldKey::LatestEnd | FieldKey::EndDate => "une date comme 2027-06-30",
                FieldKey::Duration => "la durée en jours, par exemple 10 ou 5-14",
                FieldKey::Languages => "les langues de la mobilité, par exemple fr, en",
                FieldKey::SendingOrganisation => "le nom de l'organisation d'envoi",
                FieldKey::Status => "prévue, réalisée ou annulée",
                _ => "une valeur",
            };
            format!("champ manquant ; indiquez {hint}")
        }
        FieldProblem::FewerOpportunitiesFromHost => "ne concerne que les organisations d'envoi ; en tant qu'organisation d'accueil, répondez plutôt à Soutien à l'inclusion (oui ou non)".to_owned(),
        FieldProblem::FewerOpportunitiesAboveParticipants { participants } => format!(
            "dépasse les {participants} participants ; indiquez combien d'entre eux ont moins d'opportunités"
        ),
        FieldProblem::ReportedFewerOpportunitiesAboveParticipants { participants } => format!(
            "dépasse les {participants} participants ; indiquez combien d'entre eux avaient moins d'opportunités"
        ),
        FieldProblem::WindowPassed { today } => format!(
            "cette date est déjà passée ; indiquez une date postérieure à aujourd'hui ({today})"
        ),
        FieldProblem::DurationLongerThanWindow { days, start, end } => format!(
            "dépasse les {days} jours du {start} au {end} ; indiquez une durée plus courte ou élargissez les dates"
        ),
        FieldProblem::CountryDoesNotMatchRegion {
            region_code,
            region_name,
            country_code,
            ..
        } => format!(
            "ne correspond pas à la région d'accueil {region_code} ({region_name}), dont le pays est {country_code} ; corrigez l'un des deux ou n'indiquez pas le pays"
        ),
        FieldProblem::ReceivingRegionMissing => "champ manquant ; indiquez le code NUTS 2 de la région d'accueil (par exemple SE23) ou au moins le pays d'accueil (par exemple SE)".to_owned(),
        FieldProblem::NotOurIntroduction => "ne correspond à aucune de nos présentations ; indiquez la référence I-… de notre e-mail, ou laissez le champ vide".to_owned(),
    }
}

fn french_value(problem: &ValueProblem) -> String {
    match problem {
        ValueProblem::RegionMissing => {
            "champ manquant ; indiquez un code de région NUTS 2, par exemple FRK2".to_owned()
        }
        ValueProblem::RegionOutsideAnyRegion { code } => format!(
            "{code} désigne des zones situées hors de toute région ; indiquez la région où se trouve l'organisation, par exemple FRK2"
        ),
        ValueProblem::RegionIsNuts3 {
            code,
            name,
            parent_code,
            parent_name,
        } => format!(
            "{code} ({name}) est une zone NUTS 3 ; indiquez sa région NUTS 2, {parent_code} ({parent_name})"
        ),
        ValueProblem::RegionLargerThanNuts2 {
            code,
            name,
            example,
        } => format!(
            "{code} ({name}) est plus étendu qu'une région NUTS 2 ; indiquez la région NUTS 2, par exemple {example}"
        ),
        ValueProblem::NotARegion => "n'est pas une région NUTS 2021 ; indiquez un code NUTS 2 comme ES21 (País Vasco) ou SE23 (Västsverige), selon la liste de https://ec.europa.eu/eurostat/web/nuts".to_owned(),
        ValueProblem::NotAnIscedCode => "n'est pas un code ISCED-F ; indiquez des codes de 2, 3 ou 4 chiffres, par exemple 0713 (électricité et énergie) ou 07".to_owned(),
        ValueProblem::UnknownIscedField { code } => format!(
            "{code} n'est pas un domaine de l'ISCED-F 2013 ; indiquez un code comme 0713 (électricité et énergie) ou 0722 (matériaux)"
        ),
        ValueProblem::NotALanguage => "n'est pas une langue que nous connaissons ; indiquez des codes ISO 639-1, par exemple fr, en ou es".to_owned(),
        ValueProblem::NotACountry => "n'est pas un pays que nous connaissons ; indiquez des codes ISO 3166 à deux lettres, par exemple SE, FI ou FR".to_owned(),
        ValueProblem::NotAnEmailAddress => "n'est pas une adresse e-mail ; indiquez-en une comme anna.berg@school.example".to_owned(),
        ValueProblem::NotAReference { prefix } => {
            format!("n'est pas une référence ; indiquez-en une comme {prefix}-42")
        }
        ValueProblem::EndBeforeStart { start, end } => format!(
            "la fin ({end}) précède le début ({start}) ; indiquez une fin identique ou postérieure au début"
        ),
        ValueProblem::DurationZero => "une durée doit être d'au moins 1 jour".to_owned(),
        ValueProblem::DurationReversed { min_days, max_days } => format!(
            "la durée la plus courte vient en premier ; écrivez {max_days}-{min_days}, et non {min_days}-{max_days}"
        ),
        ValueProblem::DurationTooLong { max_days } => format!(
            "plus de {max_days} jours ; indiquez une durée de {max_days} jours au maximum"
        ),
        ValueProblem::TooManyPeople { maximum } => format!(
            "plus de {maximum} ; indiquez le nombre de personnes, {maximum} au maximum"
        ),
        ValueProblem::NotAWholeNumber => "n'est pas un nombre entier ; indiquez un nombre de personnes, par exemple 8".to_owned(),
        ValueProblem::NotADate => "n'est pas une date ; écrivez-la sous la forme AAAA-MM-JJ, par exemple 2027-03-15 (ou 15.3.2027)".to_owned(),
        ValueProblem::NotADuration => "n'est pas une durée ; indiquez un nombre de jours, par exemple 10, ou une fourchette comme 5-14 (« 2 semaines » convient aussi)".to_owned(),
        ValueProblem::ZeroParticipants => "zéro ; indiquez au moins 1 participant".to_owned(),
        ValueProblem::NotARole => "n'est pas un rôle ; indiquez accueil (vous pouvez accueillir des personnes) ou envoi (vous souhaitez envoyer des personnes)".to_owned(),
        ValueProblem::NotAMobilityType => "n'est pas un type de mobilité ; indiquez l'un des types suivants : Apprenants EFP, Apprentis, Apprenants adultes, Éducation informelle, Observation en situation de travail, Visite d'étude".to_owned(),
        ValueProblem::NotAStatus => {
            "n'est pas un statut ; indiquez prévue, réalisée ou annulée".to_owned()
        }
        ValueProblem::NotYesOrNo => "n'est ni oui ni non ; indiquez oui ou non".to_owned(),
        ValueProblem::NeitherRegionNorCountry => "n'est ni une région NUTS 2 ni un pays ; indiquez un code de région comme SE23 ou un code de pays comme SE".to_owned(),
        ValueProblem::Other(message) => message.clone(),
    }
}

fn german(problem: &FieldProblem) -> String {
    match problem {
        FieldProblem::Value(problem) => german_value(problem),
        FieldProblem::InListItem { item, problem } => {
            format!("„{item}“: {}", german_value(problem))
        }
        FieldProblem::GivenTwice => {
            "ist zweimal mit verschiedenen Werten angegeben; behalten Sie einen davon".to_owned()
        }
        FieldProblem::Missing(key) => {
            let hint = match key {
                FieldKey::Role => "aufnehmend (Sie können Personen aufnehmen) oder entsendend (Sie möchten Personen entsenden)",
                FieldKey::Organisation => "den Namen der Organisation",
                FieldKey::ContactName => "den Namen der Kontaktperson",
                FieldKey::ContactEmail => "die E-Mail-Adresse der Kontaktperson",
                FieldKey::Region | FieldKey::SendingRegion => {
                    "den NUTS-2-Code der Region der Organisation, zum Beispiel DE21"
                }
                FieldKey::MobilityType => {
                    "eine der folgenden Arten: Lernende in der Berufsbildung, Auszubildende, Erwachsene Lernende, Informell Lernende, Hospitation, Studienbesuch"
                }
                FieldKey::Fields => "die ISCED-F-Codes der Bildungsbereiche, zum Beispiel 0713, 0722",
                FieldKey::Participants => "die Zahl der Teilnehmenden, zum Beispiel 8",
                FieldKey::EarliestStart | FieldKey::StartDate => "ein Datum wie 2027-03-15",
                FieldKey::LatestEnd | FieldKey::EndDate => "ein Datum wie 2027-06-30",
                FieldKey::Duration => "die Dauer in Tagen, zum Beispiel 10 oder 5-14",
                FieldKey::Languages => "die Sprachen der Mobilität, zum Beispiel de, en",
                FieldKey::SendingOrganisation => "den Namen der entsendenden Organisation",
                FieldKey::Status => "geplant, abgeschlossen oder abgesagt",
                _ => "einen Wert",
            };
            format!("fehlt; geben Sie {hint} an")
        }
        FieldProblem::FewerOpportunitiesFromHost => "wird nur bei entsendenden Organisationen abgefragt; als aufnehmende Organisation beantworten Sie stattdessen Inklusionsunterstützung (ja oder nein)".to_owned(),
        FieldProblem::FewerOpportunitiesAboveParticipants { participants } => format!(
            "ist größer als die Zahl der Teilnehmenden ({participants}); geben Sie an, wie viele von ihnen geringere Chancen haben"
        ),
        FieldProblem::ReportedFewerOpportunitiesAboveParticipants { participants } => format!(
            "ist größer als die Zahl der Teilnehmenden ({participants}); geben Sie an, wie viele von ihnen geringere Chancen hatten"
        ),
        FieldProblem::WindowPassed { today } => {
            format!("ist bereits vorbei; geben Sie ein Datum nach heute ({today}) an")
        }
        FieldProblem::DurationLongerThanWindow { days, start, end } => format!(
            "ist länger als die {days} Tage vom {start} bis {end}; geben Sie eine kürzere Dauer an oder erweitern Sie den Zeitraum"
        ),
        FieldProblem::CountryDoesNotMatchRegion {
            region_code,
            region_name,
            country_code,
            ..
        } => format!(
            "passt nicht zur Aufnahmeregion {region_code} ({region_name}), die in {country_code} liegt; korrigieren Sie eine der beiden Angaben oder lassen Sie das Land weg"
        ),
        FieldProblem::ReceivingRegionMissing => "fehlt; geben Sie den NUTS-2-Code der Aufnahmeregion (zum Beispiel SE23) oder wenigstens das Aufnahmeland (zum Beispiel SE) an".to_owned(),
        FieldProblem::NotOurIntroduction => "ist keine unserer Vorstellungen; geben Sie die I-Referenz aus unserer E-Mail an oder lassen Sie das Feld leer".to_owned(),
    }
}

fn german_value(problem: &ValueProblem) -> String {
    match problem {
        ValueProblem::RegionMissing => {
            "fehlt; geben Sie einen NUTS-2-Regionscode an, zum Beispiel DE21".to_owned()
        }
        ValueProblem::RegionOutsideAnyRegion { code } => format!(
            "{code} steht für Gebiete außerhalb jeder Region; geben Sie die Region an, in der die Organisation liegt, zum Beispiel DE21"
        ),
        ValueProblem::RegionIsNuts3 {
            code,
            name,
            parent_code,
            parent_name,
        } => format!(
            "{code} ({name}) ist ein NUTS-3-Gebiet; geben Sie seine NUTS-2-Region an: {parent_code} ({parent_name})"
        ),
        ValueProblem::RegionLargerThanNuts2 {
            code,
            name,
            example,
        } => format!(
            "{code} ({name}) ist größer als eine NUTS-2-Region; geben Sie die NUTS-2-Region an, zum Beispiel {example}"
        ),
        ValueProblem::NotARegion => "keine NUTS-2021-Region; geben Sie einen NUTS-2-Code wie DE21 (Oberbayern) oder ES21 (País Vasco) an, wie unter https://ec.europa.eu/eurostat/web/nuts aufgeführt".to_owned(),
        ValueProblem::NotAnIscedCode => "kein ISCED-F-Code; geben Sie Codes mit 2, 3 oder 4 Ziffern an, zum Beispiel 0713 (Elektrizität und Energie) oder 07".to_owned(),
        ValueProblem::UnknownIscedField { code } => format!(
            "{code} ist kein Bereich der ISCED-F 2013; geben Sie einen Code wie 0713 (Elektrizität und Energie) oder 0722 (Werkstoffe) an"
        ),
        ValueProblem::NotALanguage => "keine uns bekannte Sprache; geben Sie ISO-639-1-Codes an, zum Beispiel de, en oder es".to_owned(),
        ValueProblem::NotACountry => "kein uns bekanntes Land; geben Sie zweistellige ISO-3166-Codes an, zum Beispiel SE, FI oder DE".to_owned(),
        ValueProblem::NotAnEmailAddress => {
            "keine E-Mail-Adresse; geben Sie eine wie anna.berg@school.example an".to_owned()
        }
        ValueProblem::NotAReference { prefix } => {
            format!("keine Referenz; geben Sie eine wie {prefix}-42 an")
        }
        ValueProblem::EndBeforeStart { start, end } => format!(
            "das Ende ({end}) liegt vor dem Beginn ({start}); geben Sie ein Ende am oder nach dem Beginn an"
        ),
        ValueProblem::DurationZero => "eine Dauer muss mindestens 1 Tag betragen".to_owned(),
        ValueProblem::DurationReversed { min_days, max_days } => format!(
            "die kürzere Dauer gehört nach vorn; schreiben Sie {max_days}-{min_days}, nicht {min_days}-{max_days}"
        ),
        ValueProblem::DurationTooLong { max_days } => format!(
            "länger als {max_days} Tage; geben Sie eine Dauer von höchstens {max_days} Tagen an"
        ),
        ValueProblem::TooManyPeople { maximum } => format!(
            "mehr als {maximum}; geben Sie die Zahl der Personen an, höchstens {maximum}"
        ),
        ValueProblem::NotAWholeNumber => {
            "keine ganze Zahl; geben Sie eine Personenzahl wie 8 an".to_owned()
        }
        ValueProblem::NotADate => "kein Datum; schreiben Sie es als JJJJ-MM-TT, zum Beispiel 2027-03-15 (oder 15.3.2027)".to_owned(),
        ValueProblem::NotADuration => "keine Dauer; geben Sie eine Zahl von Tagen wie 10 oder einen Bereich wie 5-14 an („2 Wochen“ geht auch)".to_owned(),
        ValueProblem::ZeroParticipants => {
            "null; geben Sie mindestens 1 teilnehmende Person an".to_owned()
        }
        ValueProblem::NotARole => "keine Rolle; geben Sie aufnehmend (Sie können Personen aufnehmen) oder entsendend (Sie möchten Personen entsenden) an".to_owned(),
        ValueProblem::NotAMobilityType => "keine Art der Mobilität; geben Sie eine der folgenden an: Lernende in der Berufsbildung, Auszubildende, Erwachsene Lernende, Informell Lernende, Hospitation, Studienbesuch".to_owned(),
        ValueProblem::NotAStatus => {
            "kein Status; geben Sie geplant, abgeschlossen oder abgesagt an".to_owned()
        }
        ValueProblem::NotYesOrNo => "weder ja noch nein; geben Sie ja oder nein an".to_owned(),
        ValueProblem::NeitherRegionNorCountry => "weder eine NUTS-2-Region noch ein Land; geben Sie einen Regionscode wie SE23 oder einen Ländercode wie SE an".to_owned(),
        ValueProblem::Other(message) => message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// One value of every problem the parser can report about a value; `Other` is the
    /// English-only problem of files and the database.
    fn every_value_problem() -> Vec<ValueProblem> {
        vec![
            ValueProblem::RegionMissing,
            ValueProblem::RegionOutsideAnyRegion {
                code: "ESZZ".to_owned(),
            },
            ValueProblem::RegionIsNuts3 {
                code: "ES211".to_owned(),
                name: "Araba/Álava".to_owned(),
                parent_code: "ES21".to_owned(),
                parent_name: "País Vasco".to_owned(),
            },
            ValueProblem::RegionLargerThanNuts2 {
                code: "ES2".to_owned(),
                name: "Noreste".to_owned(),
                example: "ES21 (País Vasco)".to_owned(),
            },
            ValueProblem::NotARegion,
            ValueProblem::NotAnIscedCode,
            ValueProblem::UnknownIscedField {
                code: "0999".to_owned(),
            },
            ValueProblem::NotALanguage,
            ValueProblem::NotACountry,
            ValueProblem::NotAnEmailAddress,
            ValueProblem::NotAReference { prefix: "I" },
            ValueProblem::EndBeforeStart {
                start: date("2027-05-01"),
                end: date("2027-04-01"),
            },
            ValueProblem::DurationZero,
            ValueProblem::DurationReversed {
                min_days: 14,
                max_days: 5,
            },
            ValueProblem::DurationTooLong { max_days: 400 },
            ValueProblem::TooManyPeople { maximum: 1000 },
            ValueProblem::NotAWholeNumber,
            ValueProblem::NotADate,
            ValueProblem::NotADuration,
            ValueProblem::ZeroParticipants,
            ValueProblem::NotARole,
            ValueProblem::NotAMobilityType,
            ValueProblem::NotAStatus,
            ValueProblem::NotYesOrNo,
            ValueProblem::NeitherRegionNorCountry,
        ]
    }

    /// Every field problem, with a `Missing` for every field that has its own hint.
    fn every_field_problem() -> Vec<FieldProblem> {
        let mut problems: Vec<FieldProblem> = every_value_problem()
            .into_iter()
            .map(FieldProblem::Value)
            .collect();
        problems.push(FieldProblem::InListItem {
            item: "0999".to_owned(),
            problem: ValueProblem::NotAnIscedCode,
        });
        problems.extend(
            [
                FieldKey::Role,
                FieldKey::Organisation,
                FieldKey::ContactName,
                FieldKey::ContactEmail,
                FieldKey::Region,
                FieldKey::MobilityType,
                FieldKey::Fields,
                FieldKey::Participants,
                FieldKey::EarliestStart,
                FieldKey::LatestEnd,
                FieldKey::Duration,
                FieldKey::Languages,
                FieldKey::SendingOrganisation,
                FieldKey::Status,
                FieldKey::Notes,
            ]
            .map(FieldProblem::Missing),
        );
        problems.extend([
            FieldProblem::GivenTwice,
            FieldProblem::FewerOpportunitiesFromHost,
            FieldProblem::FewerOpportunitiesAboveParticipants { participants: 4 },
            FieldProblem::ReportedFewerOpportunitiesAboveParticipants { participants: 4 },
            FieldProblem::WindowPassed {
                today: date("2027-01-10"),
            },
            FieldProblem::DurationLongerThanWindow {
                days: 7,
                start: date("2027-03-01"),
                end: date("2027-03-07"),
            },
            FieldProblem::CountryDoesNotMatchRegion {
                region_code: "SE23".to_owned(),
                region_name: "Västsverige".to_owned(),
                country_code: "SE".to_owned(),
                country_name: "Sweden".to_owned(),
            },
            FieldProblem::ReceivingRegionMissing,
            FieldProblem::NotOurIntroduction,
        ]);
        problems
    }

    /// Fails to compile when a problem is added, so that it gets a sample above and
    /// with it a check of its translations.
    fn field_problem_kind(problem: &FieldProblem) -> &'static str {
        match problem {
            FieldProblem::Value(problem) => value_problem_kind(problem),
            FieldProblem::InListItem { .. } => "in list item",
            FieldProblem::GivenTwice => "given twice",
            FieldProblem::Missing(_) => "missing",
            FieldProblem::FewerOpportunitiesFromHost => "fewer opportunities from host",
            FieldProblem::FewerOpportunitiesAboveParticipants { .. } => "fewer above participants",
            FieldProblem::ReportedFewerOpportunitiesAboveParticipants { .. } => {
                "reported fewer above participants"
            }
            FieldProblem::WindowPassed { .. } => "window passed",
            FieldProblem::DurationLongerThanWindow { .. } => "duration longer than window",
            FieldProblem::CountryDoesNotMatchRegion { .. } => "country does not match region",
            FieldProblem::ReceivingRegionMissing => "receiving region missing",
            FieldProblem::NotOurIntroduction => "not our introduction",
        }
    }

    fn value_problem_kind(problem: &ValueProblem) -> &'static str {
        match problem {
            ValueProblem::RegionMissing => "region missing",
            ValueProblem::RegionOutsideAnyRegion { .. } => "region outside any region",
            ValueProblem::RegionIsNuts3 { .. } => "region is NUTS 3",
            ValueProblem::RegionLargerThanNuts2 { .. } => "region larger than NUTS 2",
            ValueProblem::NotARegion => "not a region",
            ValueProblem::NotAnIscedCode => "not an ISCED code",
            ValueProblem::UnknownIscedField { .. } => "unknown ISCED field",
            ValueProblem::NotALanguage => "not a language",
            ValueProblem::NotACountry => "not a country",
            ValueProblem::NotAnEmailAddress => "not an email address",
            ValueProblem::NotAReference { .. } => "not a reference",
            ValueProblem::EndBeforeStart { .. } => "end before start",
            ValueProblem::DurationZero => "duration zero",
            ValueProblem::DurationReversed { .. } => "duration reversed",
            ValueProblem::DurationTooLong { .. } => "duration too long",
            ValueProblem::TooManyPeople { .. } => "too many people",
            ValueProblem::NotAWholeNumber => "not a whole number",
            ValueProblem::NotADate => "not a date",
            ValueProblem::NotADuration => "not a duration",
            ValueProblem::ZeroParticipants => "zero participants",
            ValueProblem::NotARole => "not a role",
            ValueProblem::NotAMobilityType => "not a mobility type",
            ValueProblem::NotAStatus => "not a status",
            ValueProblem::NotYesOrNo => "not yes or no",
            ValueProblem::NeitherRegionNorCountry => "neither region nor country",
            ValueProblem::Other(_) => "other",
        }
    }

    #[test]
    fn the_samples_cover_every_problem_but_the_english_only_one() {
        let sampled: std::collections::BTreeSet<&str> = every_field_problem()
            .iter()
            .map(field_problem_kind)
            .collect();
        // 25 value problems besides `Other`, 11 field problems besides `Value`.
        assert_eq!(sampled.len(), 25 + 11, "{sampled:?}");
        assert!(!sampled.contains("other"));
    }

    #[test]
    fn every_problem_has_a_message_of_its_own_in_all_five_languages() {
        for problem in every_field_problem() {
            let messages: Vec<String> = FormLanguage::ALL
                .iter()
                .map(|language| problem.message_in(*language))
                .collect();
            assert_eq!(messages[0], problem.to_string());
            for (language, message) in FormLanguage::ALL.iter().zip(&messages) {
                assert!(!message.trim().is_empty(), "{language:?} {problem:?}");
                let others = messages.iter().filter(|other| *other == message).count();
                assert_eq!(
                    others, 1,
                    "{language:?} repeats another language: {message}"
                );
            }
        }
    }

    #[test]
    fn the_values_in_a_problem_appear_in_every_language() {
        let problem = FieldProblem::DurationLongerThanWindow {
            days: 7,
            start: date("2027-03-01"),
            end: date("2027-03-07"),
        };
        for language in FormLanguage::ALL {
            let message = problem.message_in(*language);
            for value in ["7", "2027-03-01", "2027-03-07"] {
                assert!(message.contains(value), "{language:?}: {message}");
            }
        }
        let in_list = FieldProblem::InListItem {
            item: "0999".to_owned(),
            problem: ValueProblem::NotAnIscedCode,
        };
        assert_eq!(
            in_list.to_string(),
            "\"0999\" is not an ISCED-F code; write codes of 2, 3 or 4 digits, for example 0713 (Electricity and energy) or 07"
        );
        assert_eq!(
            in_list.message_in(FormLanguage::De),
            "„0999“: kein ISCED-F-Code; geben Sie Codes mit 2, 3 oder 4 Ziffern an, zum Beispiel 0713 (Elektrizität und Energie) oder 07"
        );
    }

    #[test]
    fn an_english_only_problem_reads_the_same_in_every_language() {
        let problem = FieldProblem::Value(ValueProblem::Other("a row of a CSV file".to_owned()));
        for language in FormLanguage::ALL {
            assert_eq!(problem.message_in(*language), "a row of a CSV file");
        }
    }
}
