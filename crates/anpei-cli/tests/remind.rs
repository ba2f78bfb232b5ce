//! `anpei remind`: runs the daily reminders once and prints what it sent; a date already run
//! is not run again unless `--force`, and a forced run sends nothing twice. On PostgreSQL
//! (`ANPEI_TEST_DATABASE_URL`) the test gets a schema of its own.

use crate::common::{stdout, Env};

#[tokio::test]
async fn remind_runs_a_date_once_and_prints_what_it_sent() {
    let env = Env::new().await;
    if env.pg.is_some() {
        stdout(&env.run(&["migrate"], None));
    }
    stdout(&env.run(
        &["demo", "--no-serve", "--subjects", "20", "--persons", "100"],
        None,
    ));
    // Three days before the notice's self-inspection phase ends (2022-03-31).
    let first = stdout(&env.run(&["remind", "--date", "2022-03-28"], None));
    assert!(first.contains("2022-03-28 的提醒：共发送"), "{first}");
    let again = stdout(&env.run(&["remind", "--date", "2022-03-28"], None));
    assert!(again.contains("已由其他实例运行"), "{again}");
    let forced = stdout(&env.run(&["remind", "--date", "2022-03-28", "--force"], None));
    assert!(
        forced.contains("共发送 0 条"),
        "nothing is sent twice: {forced}"
    );
    env.cleanup().await;
}
