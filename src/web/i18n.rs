//! The words of the public pages in the five languages of the forms, and the choice of
//! language: a `lang` query parameter (the visible switch), then the `lang` cookie it
//! sets, then `Accept-Language`, then English. Field labels come from `forms/`, so a
//! page names a field as the emailed form does.

use std::collections::BTreeMap;

use crate::forms::{FieldKey, FormLanguage};

/// The language of a page and the reason it was chosen.
pub fn choose_language(
    query: Option<&str>,
    cookie: Option<&str>,
    accept_language: Option<&str>,
) -> FormLanguage {
    query
        .and_then(language_of_code)
        .or_else(|| cookie.and_then(language_of_code))
        .or_else(|| accept_language.and_then(preferred_language))
        .unwrap_or(FormLanguage::En)
}

pub fn language_of_code(code: &str) -> Option<FormLanguage> {
    let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    FormLanguage::ALL
        .iter()
        .copied()
        .find(|language| language.code() == primary)
}

/// The language of ours that `Accept-Language` ranks highest (`sv-SE,sv;q=0.9,en;q=0.8`).
fn preferred_language(header: &str) -> Option<FormLanguage> {
    let mut ranked: Vec<(u16, usize, FormLanguage)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, item)| {
            let mut parts = item.split(';');
            let language = language_of_code(parts.next()?)?;
            let quality = parts
                .find_map(|parameter| parameter.trim().strip_prefix("q="))
                .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                .unwrap_or(1.0);
            // Whole thousandths: q values have at most three decimals.
            let quality = (quality.clamp(0.0, 1.0) * 1000.0).round() as u16;
            (quality > 0).then_some((quality, position, language))
        })
        .collect();
    ranked.sort_by_key(|(quality, position, _)| (std::cmp::Reverse(*quality), *position));
    ranked.first().map(|(_, _, language)| *language)
}

/// Every word of the public pages in `language`, by message key, for the templates.
pub fn words(language: FormLanguage) -> BTreeMap<&'static str, &'static str> {
    let column = FormLanguage::ALL
        .iter()
        .position(|candidate| *candidate == language)
        .expect("every language has a column");
    WORDS
        .iter()
        .map(|(key, texts)| (*key, texts[column]))
        .collect()
}

/// One word of the pages in `language`.
pub fn word(language: FormLanguage, key: &str) -> &'static str {
    let column = FormLanguage::ALL
        .iter()
        .position(|candidate| *candidate == language)
        .expect("every language has a column");
    WORDS
        .iter()
        .find(|(candidate, _)| *candidate == key)
        .map(|(_, texts)| texts[column])
        .unwrap_or_else(|| panic!("the word {key} is in the table"))
}

/// The label of every field of both forms in `language`, by key.
pub fn field_labels(language: FormLanguage) -> BTreeMap<&'static str, &'static str> {
    FieldKey::ALL
        .iter()
        .filter(|key| **key != FieldKey::ReceivingRegionOrCountry)
        .map(|key| {
            let label = key
                .labels(language)
                .first()
                .or_else(|| key.labels(FormLanguage::En).first())
                .copied()
                .unwrap_or(key.key());
            (key.key(), label)
        })
        .collect()
}

/// Columns in the order of `FormLanguage::ALL`: en, es, sv, fr, de.
const WORDS: &[(&str, [&str; 5])] = &[
    (
        "unsubscribe_title",
        [
            "Unsubscribe",
            "Darse de baja",
            "Avregistrera",
            "Se désabonner",
            "Abmelden",
        ],
    ),
    (
        "unsubscribe_text",
        [
            "Stop our calls for submissions and our requests to renew listings to this address. Introductions and answers to your own messages still reach you.",
            "Dejar de enviar a esta dirección nuestras convocatorias y nuestras peticiones de renovar ofertas y solicitudes. Las presentaciones y las respuestas a sus propios mensajes le seguirán llegando.",
            "Sluta skicka våra inbjudningar och våra förfrågningar om att förnya annonser till den här adressen. Presentationer och svar på era egna meddelanden når er fortfarande.",
            "Ne plus envoyer à cette adresse nos appels à propositions ni nos demandes de renouvellement. Les mises en relation et les réponses à vos propres messages vous parviendront toujours.",
            "Unsere Aufrufe und unsere Bitten um Erneuerung von Angeboten und Gesuchen nicht mehr an diese Adresse senden. Vorstellungen und Antworten auf Ihre eigenen Nachrichten erhalten Sie weiterhin.",
        ],
    ),
    (
        "unsubscribe_button",
        [
            "Unsubscribe",
            "Darme de baja",
            "Avregistrera mig",
            "Me désabonner",
            "Abmelden",
        ],
    ),
    (
        "unsubscribe_done",
        [
            "You are unsubscribed: we will send no more calls or renewal requests to this address.",
            "Se ha dado de baja: no enviaremos más convocatorias ni peticiones de renovación a esta dirección.",
            "Ni är avregistrerade: vi skickar inga fler inbjudningar eller förnyelseförfrågningar till den här adressen.",
            "Vous êtes désabonné : nous n'enverrons plus d'appels ni de demandes de renouvellement à cette adresse.",
            "Sie sind abgemeldet: Wir senden keine Aufrufe oder Erneuerungsbitten mehr an diese Adresse.",
        ],
    ),
    (
        "unsubscribe_already",
        [
            "This address was already unsubscribed; nothing changed.",
            "Esta dirección ya estaba dada de baja; no ha cambiado nada.",
            "Den här adressen var redan avregistrerad; inget har ändrats.",
            "Cette adresse était déjà désabonnée ; rien n'a changé.",
            "Diese Adresse war bereits abgemeldet; es hat sich nichts geändert.",
        ],
    ),
    (
        "site_title",
        [
            "Mobility matchmaking",
            "Emparejamiento de movilidades",
            "Matchning av mobilitet",
            "Mise en relation pour la mobilité",
            "Mobilitäts-Matching",
        ],
    ),
    (
        "skip_to_content",
        [
            "Skip to content",
            "Ir al contenido",
            "Hoppa till innehållet",
            "Aller au contenu",
            "Zum Inhalt springen",
        ],
    ),
    (
        "language",
        ["Language", "Idioma", "Språk", "Langue", "Sprache"],
    ),
    (
        "index_intro",
        [
            "EARLALL's Regional Skills Partnership brings together organisations that can host learners and staff from abroad and organisations that want to send them. Tell us what you offer or need: every week we introduce matching partners to each other by email.",
            "La Asociación Regional de Competencias de EARLALL pone en contacto a organizaciones que pueden acoger a estudiantes y personal del extranjero con organizaciones que quieren enviarlos. Díganos qué ofrece o necesita: cada semana presentamos por correo a los socios que encajan.",
            "EARLALL:s regionala kompetenspartnerskap sammanför organisationer som kan ta emot elever och personal från utlandet med organisationer som vill skicka dem. Berätta vad ni erbjuder eller behöver: varje vecka presenterar vi passande partner för varandra via e-post.",
            "Le partenariat régional pour les compétences d'EARLALL met en relation les organisations qui peuvent accueillir des apprenants et du personnel venus de l'étranger et celles qui veulent en envoyer. Dites-nous ce que vous proposez ou cherchez : chaque semaine, nous présentons par e-mail les partenaires qui se correspondent.",
            "Die regionale Kompetenzpartnerschaft von EARLALL bringt Organisationen, die Lernende und Personal aus dem Ausland aufnehmen können, mit Organisationen zusammen, die sie entsenden möchten. Sagen Sie uns, was Sie anbieten oder suchen: Jede Woche stellen wir passende Partner per E-Mail einander vor.",
        ],
    ),
    (
        "index_submit",
        [
            "Offer to host people, or ask to send people",
            "Ofrecer acogida o solicitar el envío de personas",
            "Erbjud att ta emot eller be om att få skicka deltagare",
            "Proposer un accueil ou demander à envoyer des personnes",
            "Aufnahme anbieten oder Entsendung anfragen",
        ],
    ),
    (
        "index_report",
        [
            "Report a mobility that took place or is planned",
            "Informar de una movilidad realizada o prevista",
            "Rapportera en genomförd eller planerad mobilitet",
            "Déclarer une mobilité réalisée ou prévue",
            "Eine durchgeführte oder geplante Mobilität melden",
        ],
    ),
    (
        "index_email",
        [
            "You can also send the same forms by email to",
            "También puede enviar los mismos formularios por correo a",
            "Du kan också skicka samma formulär med e-post till",
            "Vous pouvez aussi envoyer les mêmes formulaires par e-mail à",
            "Sie können dieselben Formulare auch per E-Mail senden an",
        ],
    ),
    (
        "privacy",
        [
            "We keep what you send only to arrange and monitor mobilities: contact details until {contact_days} days after your last offer or request closes, unconfirmed submissions for 7 days. To see, correct or erase your data, write to",
            "Guardamos lo que envía solo para organizar y seguir movilidades: los datos de contacto hasta {contact_days} días después del cierre de su última oferta o solicitud, los envíos sin confirmar durante 7 días. Para consultar, corregir o borrar sus datos, escriba a",
            "Vi sparar det ni skickar endast för att ordna och följa upp mobiliteter: kontaktuppgifter till {contact_days} dagar efter att ert senaste erbjudande eller önskemål avslutats, obekräftade anmälningar i 7 dagar. För att se, rätta eller radera era uppgifter, skriv till",
            "Nous conservons ce que vous envoyez uniquement pour organiser et suivre des mobilités : les coordonnées jusqu'à {contact_days} jours après la clôture de votre dernière offre ou demande, les envois non confirmés pendant 7 jours. Pour consulter, corriger ou effacer vos données, écrivez à",
            "Wir speichern Ihre Angaben nur, um Mobilitäten zu vermitteln und auszuwerten: Kontaktdaten bis {contact_days} Tage nach dem Abschluss Ihres letzten Angebots oder Gesuchs, unbestätigte Meldungen 7 Tage. Zum Einsehen, Berichtigen oder Löschen schreiben Sie an",
        ],
    ),
    (
        "submit_title",
        [
            "Offer or request a mobility",
            "Ofrecer o solicitar una movilidad",
            "Erbjud eller efterfråga en mobilitet",
            "Proposer ou demander une mobilité",
            "Mobilität anbieten oder anfragen",
        ],
    ),
    (
        "submit_intro",
        [
            "We email a link to the contact address; your submission takes part in matching once you confirm it there.",
            "Enviaremos un enlace a la dirección de contacto; su envío participará en el emparejamiento cuando lo confirme allí.",
            "Vi mejlar en länk till kontaktadressen; din anmälan deltar i matchningen när du har bekräftat den där.",
            "Nous envoyons un lien à l'adresse de contact ; votre envoi participe à la mise en relation une fois confirmé.",
            "Wir senden einen Link an die Kontaktadresse; Ihre Meldung nimmt am Matching teil, sobald Sie sie dort bestätigen.",
        ],
    ),
    (
        "required",
        [
            "required",
            "obligatorio",
            "obligatoriskt",
            "obligatoire",
            "Pflichtfeld",
        ],
    ),
    (
        "optional",
        ["optional", "opcional", "valfritt", "facultatif", "optional"],
    ),
    (
        "choose",
        ["Choose…", "Elija…", "Välj…", "Choisissez…", "Bitte wählen…"],
    ),
    (
        "role_receiving",
        [
            "Receiving: we can host people",
            "Acogida: podemos recibir personas",
            "Mottagande: vi kan ta emot deltagare",
            "Accueil : nous pouvons accueillir des personnes",
            "Aufnehmend: wir können Personen aufnehmen",
        ],
    ),
    (
        "role_sending",
        [
            "Sending: we want to send people",
            "Envío: queremos enviar personas",
            "Sändande: vi vill skicka deltagare",
            "Envoi : nous voulons envoyer des personnes",
            "Entsendend: wir möchten Personen entsenden",
        ],
    ),
    (
        "vet_learner",
        [
            "VET learners",
            "Estudiantes de FP",
            "Yrkeselever",
            "Apprenants EFP",
            "Lernende in der Berufsbildung",
        ],
    ),
    (
        "apprentice",
        [
            "Apprentices",
            "Aprendices",
            "Lärlingar",
            "Apprentis",
            "Auszubildende",
        ],
    ),
    (
        "adult_learner",
        [
            "Adult learners",
            "Estudiantes adultos",
            "Vuxenstuderande",
            "Apprenants adultes",
            "Erwachsene Lernende",
        ],
    ),
    (
        "informal_learner",
        [
            "Informal learners",
            "Educación informal",
            "Informellt lärande",
            "Éducation informelle",
            "Informell Lernende",
        ],
    ),
    (
        "staff_job_shadowing",
        [
            "Staff job shadowing",
            "Observación de puestos de trabajo",
            "Jobbskuggning",
            "Observation en situation de travail",
            "Hospitation",
        ],
    ),
    (
        "study_visit",
        [
            "Study visit",
            "Visita de estudio",
            "Studiebesök",
            "Visite d'étude",
            "Studienbesuch",
        ],
    ),
    ("yes", ["yes", "sí", "ja", "oui", "ja"]),
    ("no", ["no", "no", "nej", "non", "nein"]),
    (
        "planned",
        ["planned", "planificada", "planerad", "prévue", "geplant"],
    ),
    (
        "completed",
        [
            "completed",
            "completada",
            "genomförd",
            "réalisée",
            "abgeschlossen",
        ],
    ),
    (
        "cancelled",
        ["cancelled", "cancelada", "inställd", "annulée", "abgesagt"],
    ),
    (
        "hint_region",
        [
            "The NUTS 2 region of the organisation; type its name or code to find it",
            "La región NUTS 2 de la organización; escriba su nombre o código para encontrarla",
            "Organisationens NUTS 2-region; skriv namn eller kod för att hitta den",
            "La région NUTS 2 de l'organisation ; tapez son nom ou son code pour la trouver",
            "Die NUTS-2-Region der Organisation; Name oder Code eintippen, um sie zu finden",
        ],
    ),
    (
        "hint_several",
        [
            "Choose one or more (Ctrl or ⌘ and click, or Shift and the arrow keys)",
            "Elija uno o varios (Ctrl o ⌘ y clic, o Mayús y flechas)",
            "Välj en eller flera (Ctrl eller ⌘ och klick, eller Skift och piltangenterna)",
            "Choisissez-en un ou plusieurs (Ctrl ou ⌘ et clic, ou Maj et flèches)",
            "Eine oder mehrere wählen (Strg oder ⌘ und Klick, oder Umschalt und Pfeiltasten)",
        ],
    ),
    (
        "hint_participants",
        [
            "How many people you can host, or want to send",
            "Cuántas personas puede acoger o quiere enviar",
            "Hur många ni kan ta emot eller vill skicka",
            "Combien de personnes vous pouvez accueillir ou voulez envoyer",
            "Wie viele Personen Sie aufnehmen können oder entsenden möchten",
        ],
    ),
    (
        "hint_fewer",
        [
            "Sending: how many of the participants have fewer opportunities",
            "Envío: cuántos participantes tienen menos oportunidades",
            "Sändande: hur många av deltagarna har färre möjligheter",
            "Envoi : combien de participants ont moins d'opportunités",
            "Entsendend: wie viele Teilnehmende geringere Chancen haben",
        ],
    ),
    (
        "hint_inclusion",
        [
            "Receiving: can you support participants with fewer opportunities?",
            "Acogida: ¿puede apoyar a participantes con menos oportunidades?",
            "Mottagande: kan ni stötta deltagare med färre möjligheter?",
            "Accueil : pouvez-vous soutenir des participants ayant moins d'opportunités ?",
            "Aufnehmend: können Sie Teilnehmende mit geringeren Chancen unterstützen?",
        ],
    ),
    (
        "hint_duration",
        [
            "In days, for example 10 or 5-14",
            "En días, por ejemplo 10 o 5-14",
            "I dagar, till exempel 10 eller 5-14",
            "En jours, par exemple 10 ou 5-14",
            "In Tagen, zum Beispiel 10 oder 5-14",
        ],
    ),
    (
        "hint_introduction",
        [
            "The I-… reference from our introduction email, if there was one",
            "La referencia I-… de nuestro correo de presentación, si lo hubo",
            "Referensen I-… från vårt presentationsmejl, om det fanns ett",
            "La référence I-… de notre e-mail de mise en relation, s'il y en a eu un",
            "Die Referenz I-… aus unserer Vorstellungs-E-Mail, falls es eine gab",
        ],
    ),
    (
        "hint_receiving",
        [
            "The receiving region, or at least the country",
            "La región de acogida o, al menos, el país",
            "Mottagande region, eller åtminstone landet",
            "La région d'accueil, ou au moins le pays",
            "Die Aufnahmeregion oder wenigstens das Land",
        ],
    ),
    ("send", ["Send", "Enviar", "Skicka", "Envoyer", "Senden"]),
    (
        "errors_title",
        [
            "Please correct the fields marked below",
            "Corrija los campos señalados abajo",
            "Rätta fälten som är markerade nedan",
            "Veuillez corriger les champs signalés ci-dessous",
            "Bitte korrigieren Sie die unten markierten Felder",
        ],
    ),
    (
        "error_prefix",
        ["Error", "Error", "Fel", "Erreur", "Fehler"],
    ),
    (
        "report_title",
        [
            "Report a mobility",
            "Informar de una movilidad",
            "Rapportera en mobilitet",
            "Déclarer une mobilité",
            "Mobilität melden",
        ],
    ),
    (
        "report_intro",
        [
            "Report every mobility you run, matched here or not, so that the partnership's monitoring is complete.",
            "Informe de cada movilidad que realice, emparejada aquí o no, para que el seguimiento de la asociación sea completo.",
            "Rapportera varje mobilitet ni genomför, matchad här eller inte, så att partnerskapets uppföljning blir komplett.",
            "Déclarez chaque mobilité que vous réalisez, mise en relation ici ou non, pour que le suivi du partenariat soit complet.",
            "Melden Sie jede Mobilität, die Sie durchführen, ob hier vermittelt oder nicht, damit die Auswertung der Partnerschaft vollständig ist.",
        ],
    ),
    (
        "submitted_title",
        [
            "Check your email",
            "Revise su correo",
            "Titta i din e-post",
            "Consultez votre messagerie",
            "Bitte prüfen Sie Ihre E-Mails",
        ],
    ),
    (
        "submitted_text",
        [
            "We sent a link to the contact address. Open it and press the button there to confirm your submission; until then it is not matched. The link is valid for 7 days.",
            "Hemos enviado un enlace a la dirección de contacto. Ábralo y pulse el botón para confirmar su envío; hasta entonces no se empareja. El enlace es válido 7 días.",
            "Vi har skickat en länk till kontaktadressen. Öppna den och tryck på knappen för att bekräfta din anmälan; tills dess matchas den inte. Länken gäller i 7 dagar.",
            "Nous avons envoyé un lien à l'adresse de contact. Ouvrez-le et appuyez sur le bouton pour confirmer votre envoi ; d'ici là, il n'est pas mis en relation. Le lien est valable 7 jours.",
            "Wir haben einen Link an die Kontaktadresse gesendet. Öffnen Sie ihn und drücken Sie die Schaltfläche, um Ihre Meldung zu bestätigen; bis dahin wird sie nicht vermittelt. Der Link gilt 7 Tage.",
        ],
    ),
    (
        "reported_title",
        ["Thank you", "Gracias", "Tack", "Merci", "Vielen Dank"],
    ),
    (
        "reported_text",
        [
            "The mobility is recorded with the reference",
            "La movilidad queda registrada con la referencia",
            "Mobiliteten är registrerad med referensen",
            "La mobilité est enregistrée sous la référence",
            "Die Mobilität ist erfasst unter der Referenz",
        ],
    ),
    (
        "confirm_title",
        [
            "Confirm your submission",
            "Confirme su envío",
            "Bekräfta din anmälan",
            "Confirmez votre envoi",
            "Bestätigen Sie Ihre Meldung",
        ],
    ),
    (
        "confirm_text",
        [
            "Press the button to confirm this submission; it then takes part in matching.",
            "Pulse el botón para confirmar este envío; entonces participará en el emparejamiento.",
            "Tryck på knappen för att bekräfta anmälan; då deltar den i matchningen.",
            "Appuyez sur le bouton pour confirmer cet envoi ; il participera alors à la mise en relation.",
            "Drücken Sie die Schaltfläche, um diese Meldung zu bestätigen; dann nimmt sie am Matching teil.",
        ],
    ),
    (
        "confirm_button",
        [
            "Confirm",
            "Confirmar",
            "Bekräfta",
            "Confirmer",
            "Bestätigen",
        ],
    ),
    (
        "confirmed_open",
        [
            "Confirmed: your submission takes part in the next matching round.",
            "Confirmado: su envío participa en la próxima ronda de emparejamiento.",
            "Bekräftad: din anmälan deltar i nästa matchningsomgång.",
            "Confirmé : votre envoi participe au prochain tour de mise en relation.",
            "Bestätigt: Ihre Meldung nimmt an der nächsten Matching-Runde teil.",
        ],
    ),
    (
        "confirmed_pending",
        [
            "Confirmed: the secretariat checks your submission before it takes part in matching.",
            "Confirmado: la secretaría revisa su envío antes de que participe en el emparejamiento.",
            "Bekräftad: sekretariatet granskar din anmälan innan den deltar i matchningen.",
            "Confirmé : le secrétariat vérifie votre envoi avant qu'il participe à la mise en relation.",
            "Bestätigt: Das Sekretariat prüft Ihre Meldung, bevor sie am Matching teilnimmt.",
        ],
    ),
    (
        "expired_text",
        [
            "This submission was not confirmed within 7 days and has expired. Please send the form again.",
            "Este envío no se confirmó en 7 días y ha caducado. Envíe el formulario de nuevo.",
            "Anmälan bekräftades inte inom 7 dagar och har upphört. Skicka formuläret igen.",
            "Cet envoi n'a pas été confirmé sous 7 jours et a expiré. Veuillez renvoyer le formulaire.",
            "Diese Meldung wurde nicht innerhalb von 7 Tagen bestätigt und ist verfallen. Bitte senden Sie das Formular erneut.",
        ],
    ),
    (
        "submission_title",
        [
            "Your submission",
            "Su envío",
            "Din anmälan",
            "Votre envoi",
            "Ihre Meldung",
        ],
    ),
    ("status", ["Status", "Estado", "Status", "Statut", "Status"]),
    (
        "unconfirmed",
        [
            "not confirmed yet",
            "sin confirmar",
            "inte bekräftad än",
            "pas encore confirmé",
            "noch nicht bestätigt",
        ],
    ),
    (
        "pending",
        [
            "waiting for the secretariat",
            "pendiente de la secretaría",
            "väntar på sekretariatet",
            "en attente du secrétariat",
            "wartet auf das Sekretariat",
        ],
    ),
    (
        "open",
        [
            "open: taking part in matching",
            "abierto: participa en el emparejamiento",
            "öppen: deltar i matchningen",
            "ouvert : participe à la mise en relation",
            "offen: nimmt am Matching teil",
        ],
    ),
    (
        "matched",
        [
            "matched",
            "emparejado",
            "matchad",
            "mis en relation",
            "vermittelt",
        ],
    ),
    (
        "withdrawn",
        [
            "withdrawn",
            "retirado",
            "tillbakadragen",
            "retiré",
            "zurückgezogen",
        ],
    ),
    (
        "expired",
        ["expired", "caducado", "upphörd", "expiré", "verfallen"],
    ),
    (
        "edit_title",
        [
            "Change your submission",
            "Modificar su envío",
            "Ändra din anmälan",
            "Modifier votre envoi",
            "Meldung ändern",
        ],
    ),
    (
        "save",
        [
            "Save changes",
            "Guardar cambios",
            "Spara ändringar",
            "Enregistrer",
            "Änderungen speichern",
        ],
    ),
    (
        "saved",
        [
            "Your changes are saved.",
            "Sus cambios se han guardado.",
            "Dina ändringar är sparade.",
            "Vos modifications sont enregistrées.",
            "Ihre Änderungen sind gespeichert.",
        ],
    ),
    (
        "withdraw_title",
        [
            "Withdraw your submission",
            "Retirar su envío",
            "Dra tillbaka din anmälan",
            "Retirer votre envoi",
            "Meldung zurückziehen",
        ],
    ),
    (
        "withdraw_text",
        [
            "A withdrawn submission is not matched any more; this cannot be undone.",
            "Un envío retirado ya no se empareja; no se puede deshacer.",
            "En tillbakadragen anmälan matchas inte längre; det kan inte ångras.",
            "Un envoi retiré n'est plus mis en relation ; c'est définitif.",
            "Eine zurückgezogene Meldung wird nicht mehr vermittelt; das lässt sich nicht rückgängig machen.",
        ],
    ),
    (
        "withdraw",
        [
            "Withdraw",
            "Retirar",
            "Dra tillbaka",
            "Retirer",
            "Zurückziehen",
        ],
    ),
    (
        "closed_text",
        [
            "This submission can no longer change. To take part again, send a new form.",
            "Este envío ya no se puede modificar. Para volver a participar, envíe un formulario nuevo.",
            "Anmälan kan inte längre ändras. Skicka ett nytt formulär för att delta igen.",
            "Cet envoi ne peut plus être modifié. Pour participer de nouveau, envoyez un nouveau formulaire.",
            "Diese Meldung kann nicht mehr geändert werden. Um wieder teilzunehmen, senden Sie ein neues Formular.",
        ],
    ),
    (
        "not_found",
        [
            "Page not found",
            "Página no encontrada",
            "Sidan finns inte",
            "Page introuvable",
            "Seite nicht gefunden",
        ],
    ),
    (
        "invalid_link",
        [
            "This link is not valid. Please use the link from our email as it is.",
            "Este enlace no es válido. Use el enlace de nuestro correo tal cual.",
            "Länken är inte giltig. Använd länken från vårt mejl som den är.",
            "Ce lien n'est pas valide. Utilisez le lien de notre e-mail tel quel.",
            "Dieser Link ist ungültig. Bitte verwenden Sie den Link aus unserer E-Mail unverändert.",
        ],
    ),
    (
        "forbidden",
        [
            "The form had expired or came from another site. Go back, reload the page and send it again.",
            "El formulario había caducado o venía de otro sitio. Vuelva atrás, recargue la página y envíelo de nuevo.",
            "Formuläret hade gått ut eller kom från en annan webbplats. Gå tillbaka, ladda om sidan och skicka igen.",
            "Le formulaire avait expiré ou venait d'un autre site. Revenez en arrière, rechargez la page et renvoyez-le.",
            "Das Formular war abgelaufen oder kam von einer anderen Seite. Gehen Sie zurück, laden Sie die Seite neu und senden Sie es erneut.",
        ],
    ),
    (
        "too_many",
        [
            "Too many attempts from your address. Wait a minute and try again.",
            "Demasiados intentos desde su dirección. Espere un minuto y vuelva a intentarlo.",
            "För många försök från din adress. Vänta en minut och försök igen.",
            "Trop de tentatives depuis votre adresse. Attendez une minute et réessayez.",
            "Zu viele Versuche von Ihrer Adresse. Warten Sie eine Minute und versuchen Sie es erneut.",
        ],
    ),
    (
        "too_many_mails",
        [
            "We sent several emails to this contact address in the last hour. Please try again in an hour.",
            "Enviamos varios correos a esta dirección de contacto en la última hora. Inténtelo de nuevo dentro de una hora.",
            "Vi har skickat flera mejl till kontaktadressen den senaste timmen. Försök igen om en timme.",
            "Nous avons envoyé plusieurs e-mails à cette adresse de contact dans l'heure. Réessayez dans une heure.",
            "Wir haben in der letzten Stunde mehrere E-Mails an diese Kontaktadresse gesendet. Bitte versuchen Sie es in einer Stunde erneut.",
        ],
    ),
    (
        "bad_request",
        [
            "The form could not be read. Reload the page and send it again.",
            "No se pudo leer el formulario. Recargue la página y envíelo de nuevo.",
            "Formuläret kunde inte läsas. Ladda om sidan och skicka igen.",
            "Le formulaire n'a pas pu être lu. Rechargez la page et renvoyez-le.",
            "Das Formular konnte nicht gelesen werden. Laden Sie die Seite neu und senden Sie es erneut.",
        ],
    ),
    (
        "server_error",
        [
            "Something went wrong on our side. Please try again later.",
            "Algo ha fallado por nuestra parte. Inténtelo más tarde.",
            "Något gick fel hos oss. Försök igen senare.",
            "Une erreur s'est produite de notre côté. Réessayez plus tard.",
            "Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es später erneut.",
        ],
    ),
    (
        "intro_title",
        [
            "Introduction",
            "Presentación",
            "Introduktion",
            "Présentation",
            "Vorstellung",
        ],
    ),
    ("intro_you", ["You", "Ustedes", "Ni", "Vous", "Sie"]),
    (
        "intro_partner",
        [
            "Proposed partner",
            "Socio propuesto",
            "Föreslagen partner",
            "Partenaire proposé",
            "Vorgeschlagener Partner",
        ],
    ),
    (
        "intro_score",
        [
            "How well you match",
            "Grado de coincidencia",
            "Hur väl ni passar ihop",
            "Degré de correspondance",
            "Wie gut Sie zusammenpassen",
        ],
    ),
    (
        "intro_reasons",
        [
            "Why we introduce you",
            "Por qué les presentamos",
            "Varför vi presenterar er för varandra",
            "Pourquoi nous vous présentons",
            "Warum wir Sie einander vorstellen",
        ],
    ),
    (
        "intro_question",
        [
            "Do you want to plan a mobility with this partner?",
            "¿Quiere planificar una movilidad con este socio?",
            "Vill ni planera en mobilitet med den här partnern?",
            "Voulez-vous préparer une mobilité avec ce partenaire ?",
            "Möchten Sie mit diesem Partner eine Mobilität planen?",
        ],
    ),
    (
        "intro_accept",
        ["Accept", "Acepto", "Acceptera", "J'accepte", "Annehmen"],
    ),
    (
        "intro_decline",
        ["Decline", "Rechazo", "Avböj", "Je refuse", "Ablehnen"],
    ),
    (
        "intro_your_answer",
        [
            "Your answer",
            "Su respuesta",
            "Ert svar",
            "Votre réponse",
            "Ihre Antwort",
        ],
    ),
    (
        "intro_recorded",
        [
            "Thank you: your answer is recorded. We email you and your partner what happens next.",
            "Gracias: su respuesta queda registrada. Les escribimos a ustedes y a su socio lo que sigue.",
            "Tack: ert svar är registrerat. Vi mejlar er och er partner om vad som händer nu.",
            "Merci : votre réponse est enregistrée. Nous vous écrivons, à vous et à votre partenaire, la suite.",
            "Vielen Dank: Ihre Antwort ist erfasst. Wir schreiben Ihnen und Ihrem Partner, wie es weitergeht.",
        ],
    ),
    (
        "intro_unchanged",
        [
            "Nothing changed: your earlier answer stands, or the introduction is settled.",
            "No ha cambiado nada: su respuesta anterior sigue en pie, o la presentación ya está cerrada.",
            "Inget ändrades: ert tidigare svar gäller, eller så är introduktionen avslutad.",
            "Rien n'a changé : votre réponse précédente reste valable, ou la présentation est close.",
            "Nichts geändert: Ihre frühere Antwort gilt, oder die Vorstellung ist abgeschlossen.",
        ],
    ),
    (
        "intro_proposed",
        [
            "being prepared",
            "en preparación",
            "förbereds",
            "en préparation",
            "in Vorbereitung",
        ],
    ),
    (
        "intro_introduced",
        [
            "waiting for answers",
            "a la espera de respuestas",
            "väntar på svar",
            "en attente de réponses",
            "wartet auf Antworten",
        ],
    ),
    (
        "intro_accepted",
        [
            "accepted by both: a mobility is planned",
            "aceptada por ambos: hay una movilidad prevista",
            "accepterad av båda: en mobilitet är planerad",
            "acceptée des deux côtés : une mobilité est prévue",
            "von beiden angenommen: eine Mobilität ist geplant",
        ],
    ),
    (
        "intro_declined",
        ["declined", "rechazada", "avböjd", "refusée", "abgelehnt"],
    ),
    (
        "intro_expired",
        [
            "expired without answers",
            "caducada sin respuestas",
            "upphörd utan svar",
            "expirée sans réponse",
            "ohne Antworten verfallen",
        ],
    ),
    ("home", ["Home", "Inicio", "Start", "Accueil", "Startseite"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_wins_then_the_cookie_then_the_browser() {
        assert_eq!(
            choose_language(Some("de"), Some("fr"), Some("sv")),
            FormLanguage::De
        );
        assert_eq!(
            choose_language(Some("xx"), Some("fr"), Some("sv")),
            FormLanguage::Fr
        );
        assert_eq!(
            choose_language(None, None, Some("sv-SE,sv;q=0.9")),
            FormLanguage::Sv
        );
        assert_eq!(choose_language(None, None, None), FormLanguage::En);
    }

    #[test]
    fn accept_language_is_read_by_quality_then_order() {
        let cases = [
            ("es-ES,es;q=0.9,en;q=0.8", FormLanguage::Es),
            ("nl, fr;q=0.5, de;q=0.7", FormLanguage::De),
            ("fi, pl", FormLanguage::En),
            ("de;q=0, fr;q=0.1", FormLanguage::Fr),
            ("*", FormLanguage::En),
        ];
        for (header, expected) in cases {
            assert_eq!(
                choose_language(None, None, Some(header)),
                expected,
                "{header}"
            );
        }
    }

    #[test]
    fn every_word_exists_in_every_language() {
        for (key, texts) in WORDS {
            for text in texts {
                assert!(!text.is_empty(), "{key}");
            }
        }
        let mut keys: Vec<&str> = WORDS.iter().map(|(key, _)| *key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), WORDS.len(), "a key is listed twice");
    }
}
